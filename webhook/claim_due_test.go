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

// TestClaimedLeadKeepsTheDeadlineTheClockHeld: the lead.claimed message
// of a claim after the SQL's stored claim deadline passed, while its card
// had not reached chat, carries the claim deadline the clock held the
// lead to at the claim: with sla.excuse_system_delay the claim window
// counted from the claim, so claimed_at is not after claim_due_at (the
// claim was in time); without the excuse the stored deadline, before
// claimed_at (the claim was late).
func TestClaimedLeadKeepsTheDeadlineTheClockHeld(t *testing.T) {
	for _, excuse := range []bool{false, true} {
		t.Run(map[bool]string{false: "without the excuse", true: "excused"}[excuse], func(t *testing.T) {
			storagetest.Each(t, func(t *testing.T, s *storage.Store) {
				ctx := context.Background()
				snd, rcv, c := setup(t, s, []handoff.WebhookEvent{handoff.WebhookClaimed})
				snd.Policy = handoff.DefaultPolicy() // claim within 2 h
				snd.Policy.ExcuseSystemDelay = excuse
				l := newLead(t, s, "hs-claimed-late", t0) // an SQL at t0, claim due t0+2h
				c.add(3 * time.Hour)
				claimAt := c.now()
				if _, won, err := s.ClaimLead(ctx, l.ID, handoff.Owner{Platform: "slack", UserID: "U1"}, claimAt, snd.Policy, "slack:U1"); err != nil || !won {
					t.Fatalf("claim won %v, err %v", won, err)
				}
				if _, err := snd.RunOnce(ctx); err != nil {
					t.Fatal(err)
				}
				want := t0.Add(2 * time.Hour)
				if excuse {
					want = claimAt.Add(2 * time.Hour)
				}
				got, _, _ := rcv.Got()
				if len(got) != 1 {
					t.Fatalf("%d deliveries, want the claim's", len(got))
				}
				lead, _ := got[0].Body["data"].(map[string]any)["lead"].(map[string]any)
				if lead["stage"] != "claimed" || lead["claim_due_at"] != want.Format(time.RFC3339) || lead["claimed_at"] != claimAt.Format(time.RFC3339) {
					t.Errorf("lead %s, claimed_at %v, claim_due_at %v; want claimed, %s, %s", lead["stage"], lead["claimed_at"], lead["claim_due_at"],
						claimAt.Format(time.RFC3339), want.Format(time.RFC3339))
				}
				if lead["sla_breached"] != !excuse {
					t.Errorf("sla_breached %v, want %v", lead["sla_breached"], !excuse)
				}
			})
		})
	}
}
