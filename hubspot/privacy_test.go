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

// personContact is a chosen-properties body of contact id with email, an
// SQL last modified at modified, merging the contacts merged (";"-separated
// ids, "" for none).
func personContact(id int, email string, modified time.Time, merged string) string {
	return fmt.Sprintf(`{"hs_object_id": %d, "firstname": "Ann", "email": %q, "lifecyclestage": "salesqualifiedlead",
		"hs_lastmodifieddate": %d, "hs_merged_object_ids": %q}`, id, email, modified.UnixMilli(), merged)
}

// A contact.privacyDeletion erases every lead of the person, not only the
// one known by the erased contact's id: the leads of the contacts HubSpot
// merged with it (either way: the erased contact merged into another, or
// others into it), and every lead with the email address of any of them
// that no CRM record holds (posted through the API). Another contact's
// lead stays, with the same address too (a shared info@), and so does one
// with no email.
func TestHubSpotPrivacyDeletionErasesThePerson(t *testing.T) {
	modified := now.Add(-time.Hour)
	type lead struct {
		id    int
		email string
		api   bool // posted through the API as "api-<id>", not sent by HubSpot
	}
	cases := []struct {
		name   string
		leads  []lead
		merges []string // bodies sent after the leads
		erase  int
		erased []string // the external ids whose leads go
		kept   []string
	}{
		{"same email, another contact",
			[]lead{{711, "p1@berg.dk", false}, {712, "p1@berg.dk", false}, {712, "p1@berg.dk", true}, {713, "other1@berg.dk", false}, {714, "", false}}, nil,
			711, []string{"711", "api-712"}, []string{"712", "713", "714"}},
		{"merged into the erased contact",
			[]lead{{721, "a2@berg.dk", false}, {722, "b2@berg.dk", false}, {723, "other2@berg.dk", false}},
			[]string{personContact(721, "a2@berg.dk", now.Add(-time.Minute), "722")},
			721, []string{"721", "722"}, []string{"723"}},
		{"the erased contact merged into another",
			[]lead{{731, "a3@berg.dk", false}, {732, "b3@berg.dk", false}, {733, "other3@berg.dk", false}},
			[]string{mergeEvent(731, 0, 732)},
			732, []string{"731", "732"}, []string{"733"}},
		{"merged, then the other's email elsewhere",
			[]lead{{741, "a4@berg.dk", false}, {742, "b4@berg.dk", false}, {743, "b4@berg.dk", true}, {743, "b4@berg.dk", false}, {744, "other4@berg.dk", false}},
			[]string{mergeEvent(741, 0, 742)},
			741, []string{"741", "742", "api-743"}, []string{"743", "744"}},
	}
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, post := clockedServer(t, s, now)
				for _, l := range c.leads {
					if l.api {
						in := handoff.LeadInput{ExternalID: fmt.Sprintf("api-%d", l.id), Email: l.email, Name: "Ann API"}
						if _, err := s.SaveLead(ctx, in, handoff.DefaultPolicy(), now, handoff.ActorAPI); err != nil {
							t.Fatal(err)
						}
						continue
					}
					body := personContact(l.id, l.email, modified, "")
					if l.email == "" {
						body = fmt.Sprintf(`{"hs_object_id": %d, "firstname": "Noemail", "lifecyclestage": "salesqualifiedlead", "hs_lastmodifieddate": %d}`, l.id, modified.UnixMilli())
					}
					post(body)
				}
				for _, m := range c.merges {
					post(m)
				}
				ids := map[string]int64{}
				for _, id := range append(append([]string{}, c.erased...), c.kept...) {
					l, err := s.LeadByExternalID(ctx, id)
					if err != nil {
						t.Fatalf("lead of %s before the erasure: %v", id, err)
					}
					ids[id] = l.ID
				}
				ans := post("[" + contactEvent("contact.privacyDeletion", c.erase, now) + "]")
				if leads, _ := ans["leads"].([]any); len(leads) != 1 || leads[0].(map[string]any)["erased"] != true {
					t.Errorf("answer %v, want the contact erased", ans)
				}
				for _, id := range c.erased {
					if l, err := s.LeadByExternalID(ctx, id); handoff.ErrorCode(err) != handoff.ENOTFOUND {
						t.Errorf("lead of %s: %+v, %v; want it erased", id, l, err)
					}
					if l, err := s.Lead(ctx, ids[id]); err != nil || l.ErasedAt == nil || l.Email != "" || l.Name != "" {
						t.Errorf("lead %d (%s): %+v, %v; want it erased", ids[id], id, l, err)
					}
				}
				for _, id := range c.kept {
					if l, err := s.LeadByExternalID(ctx, id); err != nil || l.ErasedAt != nil || l.Name == "" {
						t.Errorf("lead of %s: %+v, %v; want it kept", id, l, err)
					}
				}
			})
		}
	})
}
