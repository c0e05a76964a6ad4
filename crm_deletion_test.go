package handoff_test

import (
	"testing"
	"time"

	"github.com/handoff/handoff"
)

// A record stands deleted from its deletion's time while the deletion is
// its newest state saved; any other state, newer (the record restored),
// leaves it live.
func TestCRMVersionDeletedAt(t *testing.T) {
	at := time.Date(2026, 11, 20, 8, 55, 7, 0, time.UTC)
	contact := handoff.LeadInput{ExternalID: "901", Email: "eva@dahl.dk", Stage: handoff.StageSQL}
	deletion := handoff.HubSpotDeletion("901", at)
	marked := func(v handoff.CRMVersion) handoff.CRMVersion { v.Deleted = true; return v }
	for _, c := range []struct {
		name    string
		version handoff.CRMVersion
		deleted bool
	}{
		{"the contact sent", handoff.VersionOf(contact, at), false},
		{"the contact restored and sent again", handoff.VersionOf(contact, at.Add(time.Hour)), false},
		{"a lifecycle stage change", handoff.VersionOf(handoff.LeadInput{ExternalID: "901", KnownOnly: true, Stage: handoff.StageWon}, at), false},
		{"the contact deleted", marked(handoff.VersionOf(deletion, at)), true},
		{"a deletion without a digest", handoff.CRMVersion{Modified: at, Deleted: true}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := c.version.DeletedAt()
			switch {
			case c.deleted && (got == nil || !got.Equal(c.version.Modified)):
				t.Errorf("DeletedAt() = %v, want %s", got, c.version.Modified)
			case !c.deleted && got != nil:
				t.Errorf("DeletedAt() = %s, want nil: the record is live", got)
			}
		})
	}
}

// HubSpotDeletion is the deletion of a known lead's contact, lost as
// deleted in HubSpot and dated when HubSpot deleted it.
func TestHubSpotDeletion(t *testing.T) {
	at := time.Date(2026, 11, 20, 8, 55, 7, 0, time.UTC)
	in := handoff.HubSpotDeletion("901", at)
	if in.ExternalID != "901" || !in.KnownOnly || in.Stage != handoff.StageLost || in.Reason != handoff.HubSpotDeletedReason ||
		in.ChangedAt == nil || !in.ChangedAt.Equal(at) || in.Email != "" {
		t.Errorf("HubSpotDeletion = %+v, want contact 901's known lead lost as %q at %s", in, handoff.HubSpotDeletedReason, at)
	}
}
