package hubspot_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// A contact deleted in HubSpot holds its email address no more, whatever
// its lead's stage: a contact.deletion of a contact whose lead was won, or
// lost for another reason, leaves the lead as it was, and still the
// privacy deletion of another contact with the same address erases that
// lead with the person's. A live contact with the address keeps its lead,
// and so does a deleted contact HubSpot restored since (a delivery of it
// newer than the deletion).
func TestHubSpotDeletedContactHoldsNoAddress(t *testing.T) {
	sent, won, deleted, restored := now.Add(-4*time.Hour), now.Add(-3*time.Hour), now.Add(-2*time.Hour), now.Add(-time.Hour)
	cases := []struct {
		name string
		// steps are what happens to contact id+1 after it is sent as an
		// SQL: "won" (its lifecycle stage set to customer), "lost" (a rep
		// closes its lead for another reason), "deleted", "restored" (sent
		// again after the deletion).
		steps  []string
		erased bool
	}{
		{"open, then deleted", []string{"deleted"}, true},
		{"won, then deleted", []string{"won", "deleted"}, true},
		{"lost for another reason, then deleted", []string{"lost", "deleted"}, true},
		{"won, deleted, then restored", []string{"won", "deleted", "restored"}, false},
		{"won and live", []string{"won"}, false},
		{"open and live", nil, false},
	}
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, post := clockedServer(t, s, now)
				erase, other := 750+10*i, 751+10*i
				email := fmt.Sprintf("eva%d@dahl.dk", i)
				postSharing(post, erase, email, sent)
				for _, step := range c.steps {
					switch step {
					case "won":
						post(propertyChange(other, "lifecyclestage", "customer", won))
					case "lost":
						in := handoff.LeadInput{ExternalID: fmt.Sprint(other), Stage: handoff.StageLost, Reason: "went with a competitor"}
						if _, err := s.SaveLead(ctx, in, handoff.DefaultPolicy(), now, handoff.ActorAPI); err != nil {
							t.Fatal(err)
						}
					case "deleted":
						post("[" + contactEvent("contact.deletion", other, deleted) + "]")
					case "restored":
						post(personContact(other, email, restored, ""))
					}
				}
				before, err := s.LeadByExternalID(ctx, fmt.Sprint(other))
				if err != nil {
					t.Fatalf("lead of %d before the erasure: %v", other, err)
				}
				after := afterErasureOf(t, s, post, erase, before.ID)
				if gone := after.ErasedAt != nil; gone != c.erased || gone != (after.Email == "") {
					t.Errorf("lead of contact %d (%s, %s): erased %v, email %q; want erased %v",
						other, before.Stage, before.Reason, after.ErasedAt != nil, after.Email, c.erased)
				}
			})
		}
	})
}

// postSharing sends contacts id and id+1, an SQL each with the one email
// address, last modified at modified.
func postSharing(post func(string) map[string]any, id int, email string, modified time.Time) {
	post(personContact(id, email, modified, ""))
	post(personContact(id+1, email, modified, ""))
}

// afterErasureOf sends the privacy deletion of contact erase and returns
// lead id as it is then.
func afterErasureOf(t *testing.T, s *storage.Store, post func(string) map[string]any, erase int, id int64) *handoff.Lead {
	t.Helper()
	post("[" + contactEvent("contact.privacyDeletion", erase, now) + "]")
	l, err := s.Lead(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return l
}
