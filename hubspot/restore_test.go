package hubspot_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/hubspot"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// A contact HubSpot restored (contact.restore) after its deletion holds
// its email address again, and a lead the deletion closed lost returns to
// the stage it had, as a stage change moves it: an unclaimed SQL is
// announced again, its SLA clock started at the restore's arrival; a
// claimed one goes back to its owner, its card refreshed. A won lead, or
// one lost for another reason, keeps its stage. A restore older than the
// deletion saved changes nothing; one that arrives before its deletion is
// the newer state, so the deletion is then stale and the lead stays open.
// The address is checked by the privacy deletion of another contact with
// it, which erases the lead of a contact that holds it no more.
func TestHubSpotRestoreEvent(t *testing.T) {
	sent, claimed, won, deleted := now.Add(-5*time.Hour), now.Add(-4*time.Hour), now.Add(-4*time.Hour), now.Add(-3*time.Hour)
	early, restored := deleted.Add(-30*time.Minute), now.Add(-time.Hour)
	rep := handoff.Owner{Platform: "slack", UserID: "U0REP", Email: "rep@acme.dk"}
	policy := handoff.DefaultPolicy()
	cases := []struct {
		name string
		// steps are what happens to the contact after it is sent as an
		// SQL: "claimed" (by rep), "won" (its lifecycle stage set to
		// customer), "lost" (closed for another reason through the API),
		// "deleted", "restored" (a contact.restore newer than the
		// deletion, arriving at now), "restored early" (one older than
		// the deletion).
		steps []string
		// answer is the last step's answer for the contact: its stage and
		// flags.
		stage              handoff.Stage
		restored, reopened bool
		stale              bool
		reason             string // the lead's reason: none unless it is lost
		announced          int    // announcements the last step added
		holds              bool   // the contact holds its address at the end
	}{
		{name: "open SQL deleted, then restored", steps: []string{"deleted", "restored"},
			stage: handoff.StageSQL, restored: true, reopened: true, announced: 1, holds: true},
		{name: "claimed SQL deleted, then restored", steps: []string{"claimed", "deleted", "restored"},
			stage: handoff.StageClaimed, restored: true, reopened: true, holds: true},
		{name: "restore delivered again", steps: []string{"deleted", "restored", "restored"},
			stage: handoff.StageSQL, stale: true, holds: true},
		{name: "won, deleted, then restored", steps: []string{"won", "deleted", "restored"},
			stage: handoff.StageWon, restored: true, holds: true},
		{name: "lost for another reason, deleted, then restored", steps: []string{"lost", "deleted", "restored"},
			stage: handoff.StageLost, restored: true, reason: "went with a competitor", holds: true},
		{name: "restore older than the deletion", steps: []string{"deleted", "restored early"},
			stage: handoff.StageLost, stale: true, reason: hubspot.DeletedReason, holds: false},
		{name: "restore arriving before its deletion", steps: []string{"restored", "deleted"},
			stage: handoff.StageSQL, stale: true, holds: true},
	}
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				srv, post := clockedServer(t, s, sent)
				id, other := 850+10*i, 851+10*i
				email := fmt.Sprintf("ida%d@lund.dk", i)
				postSharing(post, id, email, sent.Add(-time.Minute))
				first, err := s.LeadByExternalID(ctx, fmt.Sprint(id))
				if err != nil {
					t.Fatal(err)
				}
				var answer map[string]any
				var announced, refreshed int
				for _, step := range c.steps {
					announced, refreshed = announcements(t, s, first.ID)
					switch step {
					case "claimed":
						if _, ok, err := s.ClaimLead(ctx, first.ID, rep, claimed, handoff.Policy{}, rep.UserID); err != nil || !ok {
							t.Fatalf("claim: %v %v", ok, err)
						}
					case "won":
						srv.clock.Store(won.UnixMilli())
						answer = post(propertyChange(id, "lifecyclestage", "customer", won))
					case "lost":
						in := handoff.LeadInput{ExternalID: fmt.Sprint(id), Stage: handoff.StageLost, Reason: "went with a competitor"}
						if _, err := s.SaveLead(ctx, in, policy, claimed, handoff.ActorAPI); err != nil {
							t.Fatal(err)
						}
					case "deleted":
						srv.clock.Store(max(deleted.UnixMilli(), srv.clock.Load()))
						answer = post("[" + contactEvent("contact.deletion", id, deleted) + "]")
					case "restored", "restored early":
						at := restored
						if step == "restored early" {
							at = early
						}
						srv.clock.Store(now.UnixMilli())
						answer = post("[" + contactEvent("contact.restore", id, at) + "]")
					}
				}
				leads, _ := answer["leads"].([]any)
				if len(leads) != 1 {
					t.Fatalf("answer %v, want the contact", answer)
				}
				got := leads[0].(map[string]any)
				if got["restored"] != flag(c.restored) || got["reopened"] != flag(c.reopened) || got["stale"] != flag(c.stale) ||
					(!c.stale && got["stage"] != string(c.stage)) {
					t.Errorf("answer %v; want stage %s, restored %v, reopened %v, stale %v", got, c.stage, c.restored, c.reopened, c.stale)
				}
				l, err := s.Lead(ctx, first.ID)
				if err != nil {
					t.Fatal(err)
				}
				if l.Stage != c.stage || l.Reason != c.reason {
					t.Errorf("lead: stage %s, reason %q; want %s, %q", l.Stage, l.Reason, c.stage, c.reason)
				}
				a, r := announcements(t, s, l.ID)
				if a-announced != c.announced {
					t.Errorf("%d announcements by the last step, want %d", a-announced, c.announced)
				}
				if c.reopened && c.announced == 0 && r <= refreshed {
					t.Errorf("reopened lead's card not updated: %d refreshes, %d before", r, refreshed)
				}
				switch {
				case c.reopened && c.stage == handoff.StageSQL:
					// Announced again as an SQL: dated when HubSpot
					// restored it, its clock started when Handoff heard.
					due, pending := l.NextSLADue()
					if !l.Owner.IsZero() || l.SQLAt == nil || !l.SQLAt.Equal(restored) || l.ClaimDueAt == nil ||
						!l.ClaimDueAt.Equal(policy.ClaimDue(now)) || l.ClaimedAt != nil || !pending || due.Before(now) {
						t.Errorf("restored SQL: owner %+v, SQL at %v, claim due %v, claimed %v, next due %s (%v); want unowned, SQL at %s, claim due %s",
							l.Owner, l.SQLAt, l.ClaimDueAt, l.ClaimedAt, due, pending, restored, policy.ClaimDue(now))
					}
				case c.reopened:
					if l.Owner.UserID != rep.UserID || l.ClaimedAt == nil || !l.ClaimedAt.Equal(claimed) {
						t.Errorf("restored lead: owner %+v, claimed %v; want %s's claim at %s", l.Owner, l.ClaimedAt, rep.UserID, claimed)
					}
				}
				if c.reopened {
					events, err := s.Events(ctx, l.ID)
					if err != nil {
						t.Fatal(err)
					}
					if e := events[len(events)-1]; e.Kind != handoff.EventStage || e.Stage != c.stage || !e.At.Equal(restored) || e.Actor != hubspot.Actor {
						t.Errorf("last event %s %s at %s by %s; want %s at %s by %s", e.Kind, e.Stage, e.At, e.Actor, c.stage, restored, hubspot.Actor)
					}
				}

				after := afterErasureOf(t, s, post, other, first.ID)
				if held := after.ErasedAt == nil && after.Email == email; held != c.holds {
					t.Errorf("after the privacy deletion of contact %d with its address: erased %v, email %q; want the address held %v",
						other, after.ErasedAt != nil, after.Email, c.holds)
				}
			})
		}
	})
}

// A restore of a contact Handoff has no lead of is answered 200 and
// writes nothing: a delivery of the contact from before it still makes
// its lead. A restored contact's own privacy deletion erases its lead and
// every lead with its address no live contact holds, as a live
// contact's does; another live contact with the address keeps its lead.
func TestHubSpotRestoreUnknownAndErased(t *testing.T) {
	sent, deleted, restored := now.Add(-5*time.Hour), now.Add(-3*time.Hour), now.Add(-time.Hour)
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		srv, post := clockedServer(t, s, now)
		ans := post("[" + contactEvent("contact.restore", 901, restored) + "]")
		if leads, _ := ans["leads"].([]any); len(leads) != 1 || leads[0].(map[string]any)["unknown"] != true || leads[0].(map[string]any)["restored"] != nil {
			t.Errorf("answer %v, want the contact unknown", ans)
		}
		if _, err := s.LeadByExternalID(ctx, "901"); handoff.ErrorCode(err) != handoff.ENOTFOUND {
			t.Errorf("restore made lead 901: %v", err)
		}
		post(personContact(901, "ole@lund.dk", sent, ""))
		if _, err := s.LeadByExternalID(ctx, "901"); err != nil {
			t.Errorf("contact 901 from before the restore of an unknown contact: %v, want its lead made", err)
		}

		// 911 deleted and restored; 912 live with its address; an API
		// lead with it too. 911's privacy deletion erases 911's lead and
		// the API lead, not 912's.
		srv.clock.Store(sent.UnixMilli())
		postSharing(post, 911, "liv@lund.dk", sent)
		if _, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: "api-911", Email: "liv@lund.dk"}, handoff.DefaultPolicy(), sent, handoff.ActorAPI); err != nil {
			t.Fatal(err)
		}
		srv.clock.Store(now.UnixMilli())
		post("[" + contactEvent("contact.deletion", 911, deleted) + "]")
		post("[" + contactEvent("contact.restore", 911, restored) + "]")
		leads := map[string]*handoff.Lead{}
		for _, id := range []string{"911", "912", "api-911"} {
			l, err := s.LeadByExternalID(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			leads[id] = l
		}
		if leads["911"].Stage != handoff.StageSQL {
			t.Fatalf("lead of 911 after its restore: %s, want sql", leads["911"].Stage)
		}
		ans = post("[" + contactEvent("contact.privacyDeletion", 911, now) + "]")
		if got, _ := ans["leads"].([]any); len(got) != 1 || got[0].(map[string]any)["erased"] != true {
			t.Errorf("answer %v, want 911 erased", ans)
		}
		for id, want := range map[string]bool{"911": true, "api-911": true, "912": false} {
			l, err := s.Lead(ctx, leads[id].ID)
			if err != nil {
				t.Fatal(err)
			}
			if erased := l.ErasedAt != nil; erased != want || erased != (l.Email == "") {
				t.Errorf("lead %s: erased %v, email %q; want erased %v", id, erased, l.Email, want)
			}
		}
	})
}

// flag is how an answer's flag reads for want: true, or absent (nil).
func flag(want bool) any {
	if want {
		return true
	}
	return nil
}
