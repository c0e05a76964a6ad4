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

// HubSpotRestore names a known lead's contact, dated when HubSpot restored
// it, with no stage: the lead's history gives it.
func TestHubSpotRestore(t *testing.T) {
	at := time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)
	in := handoff.HubSpotRestore("901", at)
	if in.ExternalID != "901" || !in.KnownOnly || in.Stage != "" || in.Reason != "" || in.ChangedAt == nil || !in.ChangedAt.Equal(at) {
		t.Errorf("HubSpotRestore = %+v, want contact 901's known lead, no stage, at %s", in, at)
	}
	if handoff.VersionOf(in, at).Digest == handoff.VersionOf(handoff.HubSpotDeletion("901", at), at).Digest {
		t.Error("a restore and a deletion at one time share a digest: the later would be a repeat")
	}
}

// A lead HubSpot's deletion closed lost returns to the stage it entered
// last before that deletion; any other lead stays as it is.
func TestStageBeforeDeletion(t *testing.T) {
	stage := func(st handoff.Stage, details ...string) handoff.Event {
		e := handoff.Event{Kind: handoff.EventStage, Stage: st}
		if len(details) == 2 {
			e.Details = map[string]string{details[0]: details[1]}
		}
		return e
	}
	implied := func(st handoff.Stage) handoff.Event { return stage(st, "implied", "true") }
	deletion := stage(handoff.StageLost, "reason", handoff.HubSpotDeletedReason)
	other := stage(handoff.StageLost, "reason", "went with a competitor")
	breach := handoff.Event{Kind: handoff.EventBreach, Stage: handoff.StageLost}
	sql := []handoff.Event{implied(handoff.StageLead), implied(handoff.StageMQL), stage(handoff.StageSQL)}
	with := func(evs ...handoff.Event) []handoff.Event { return append(append([]handoff.Event{}, sql...), evs...) }
	erased := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name    string
		stage   handoff.Stage
		reason  string
		erased  bool
		history []handoff.Event
		want    handoff.Stage
		wantWhy string
	}{
		{name: "unclaimed SQL deleted", stage: handoff.StageLost, reason: handoff.HubSpotDeletedReason,
			history: with(deletion), want: handoff.StageSQL},
		{name: "claimed, deleted, then breached", stage: handoff.StageLost, reason: handoff.HubSpotDeletedReason,
			history: with(stage(handoff.StageClaimed), deletion, breach), want: handoff.StageClaimed},
		{name: "an opportunity deleted", stage: handoff.StageLost, reason: handoff.HubSpotDeletedReason,
			history: with(stage(handoff.StageClaimed), stage(handoff.StageContacted), stage(handoff.StageOpportunity), deletion), want: handoff.StageOpportunity},
		{name: "an MQL deleted", stage: handoff.StageLost, reason: handoff.HubSpotDeletedReason,
			history: []handoff.Event{implied(handoff.StageLead), stage(handoff.StageMQL), deletion}, want: handoff.StageMQL},
		{name: "recycled, then deleted", stage: handoff.StageLost, reason: handoff.HubSpotDeletedReason,
			history: with(stage(handoff.StageRecycled, "reason", "no budget this year"), deletion), want: handoff.StageRecycled, wantWhy: "no budget this year"},
		{name: "deleted, restored, claimed, deleted again", stage: handoff.StageLost, reason: handoff.HubSpotDeletedReason,
			history: with(deletion, stage(handoff.StageSQL), stage(handoff.StageClaimed), deletion), want: handoff.StageClaimed},
		{name: "open SQL never deleted", stage: handoff.StageSQL, history: sql},
		{name: "won, then deleted", stage: handoff.StageWon, history: with(stage(handoff.StageWon))},
		{name: "lost for another reason, then deleted", stage: handoff.StageLost, reason: "went with a competitor", history: with(other)},
		{name: "lost as deleted by a rep's own words", stage: handoff.StageLost, reason: handoff.HubSpotDeletedReason, history: with(other)},
		{name: "deleted, then erased", stage: handoff.StageLost, reason: handoff.HubSpotDeletedReason, erased: true, history: with(deletion)},
		{name: "deleted with no stage before", stage: handoff.StageLost, reason: handoff.HubSpotDeletedReason, history: []handoff.Event{deletion}},
		{name: "no history", stage: handoff.StageLost, reason: handoff.HubSpotDeletedReason},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := &handoff.Lead{Stage: c.stage, Reason: c.reason}
			if c.erased {
				l.ErasedAt = &erased
			}
			got, why, ok := handoff.StageBeforeDeletion(l, c.history)
			if got != c.want || why != c.wantWhy || ok != (c.want != "") {
				t.Errorf("StageBeforeDeletion = %q, %q, %v; want %q, %q, %v", got, why, ok, c.want, c.wantWhy, c.want != "")
			}
		})
	}
	if st, _, ok := handoff.StageBeforeDeletion(nil, nil); ok {
		t.Errorf("StageBeforeDeletion(nil) = %q, true; want false", st)
	}
}
