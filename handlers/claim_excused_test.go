package handlers_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestClickClaimExcusesAnUnshownCard: a rep's click on Claim, in Slack and
// in Teams, after an SQL's claim deadline passed while its card had not
// reached chat and before the SLA clock's tick moved the deadline on, is
// judged under the agreement the bot runs under: with
// sla.excuse_system_delay the claim is in time (the clock holds the
// deadline moved past it), without it late.
func TestClickClaimExcusesAnUnshownCard(t *testing.T) {
	for _, excuse := range []bool{false, true} {
		policy := handoff.DefaultPolicy() // claim within 2 h
		policy.ExcuseSystemDelay = excuse
		name := map[bool]string{false: "without the excuse", true: "excused"}[excuse]
		check := func(t *testing.T, s *storage.Store, id int64) {
			t.Helper()
			l, err := s.Lead(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			if l.Stage != handoff.StageClaimed || l.SLABreached != !excuse {
				t.Errorf("after the click: %s, sla breached %v; want claimed, breached %v", l.Stage, l.SLABreached, !excuse)
			}
		}
		t.Run("slack/"+name, func(t *testing.T) {
			storagetest.Each(t, func(t *testing.T, s *storage.Store) {
				r := newSlackRigUnder(t, s, nil, 0, 0, policy)
				// An SQL of 3 hours ago whose card was never posted.
				res, err := s.SaveLead(context.Background(), handoff.LeadInput{ExternalID: "unshown-s", Company: "Co", Stage: handoff.StageSQL},
					policy, time.Now().UTC().Add(-3*time.Hour), handoff.ActorAPI)
				if err != nil {
					t.Fatal(err)
				}
				if status, body := r.click(t, "UREP", bot.ActionClaim, res.Lead.ID); status != 200 {
					t.Fatalf("claim click = %d %s", status, body)
				}
				check(t, s, res.Lead.ID)
			})
		})
		t.Run("teams/"+name, func(t *testing.T) {
			storagetest.Each(t, func(t *testing.T, s *storage.Store) {
				e := newTeamsEnvWith(t, s, nil, policy)
				e.install()
				id := e.newSQL("unshown-t") // never delivered: its card not shown
				e.clock.Advance(2*time.Hour + 30*time.Minute)
				res := e.invoke(ritaID, "Rita Rep", map[string]any{"action": bot.ActionClaim, "value": fmt.Sprint(id)})
				if res.StatusCode != 200 {
					t.Fatalf("claim answer = %s", res.raw)
				}
				check(t, s, id)
			})
		})
	}
}
