package webhook_test

import (
	"context"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestLeadClaimDueAsTheClockHoldsItWhenSent: a message's lead carries the
// claim deadline the SLA clock holds it to when the message is sent, as
// GET /api/leads/{id} answers it: with sla.excuse_system_delay, an SQL
// whose card has not reached chat, announced after its stored deadline
// passed (the endpoint down meanwhile), carries the claim window from
// then; without the excuse, the stored deadline.
func TestLeadClaimDueAsTheClockHoldsItWhenSent(t *testing.T) {
	for _, excuse := range []bool{false, true} {
		t.Run(map[bool]string{false: "without the excuse", true: "excused"}[excuse], func(t *testing.T) {
			storagetest.Each(t, func(t *testing.T, s *storage.Store) {
				ctx := context.Background()
				snd, rcv, c := setup(t, s, []handoff.WebhookEvent{handoff.WebhookAnnounced})
				snd.Policy = handoff.DefaultPolicy() // claim within 2 h
				snd.Policy.ExcuseSystemDelay = excuse
				newLead(t, s, "hs-late", t0) // an SQL at t0, claim due t0+2h
				c.add(3 * time.Hour)
				if _, err := snd.RunOnce(ctx); err != nil {
					t.Fatal(err)
				}
				want := t0.Add(2 * time.Hour)
				if excuse {
					want = c.now().Add(2 * time.Hour)
				}
				got, _, _ := rcv.Got()
				if len(got) != 1 {
					t.Fatalf("%d deliveries, want the announcement", len(got))
				}
				lead, _ := got[0].Body["data"].(map[string]any)["lead"].(map[string]any)
				if lead["stage"] != "sql" || lead["claim_due_at"] != want.Format(time.RFC3339) {
					t.Errorf("lead %s, claim_due_at %v; want sql, %s", lead["stage"], lead["claim_due_at"], want.Format(time.RFC3339))
				}
			})
		})
	}
}
