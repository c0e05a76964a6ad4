package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// A lead claimed after its first reminder fell due is not reminded of it
// (it fell due before the claim), but the tick moves its reminder on to
// the next, and the store keeps it: the clock's next due time is then the
// next reminder, not the passed one, which would have the scheduler tick
// again at once, and again, until the next reminder fell due.
func TestReminderBeforeTheClaimMovesOn(t *testing.T) {
	policy := handoff.DefaultPolicy()
	policy.RemindBefore = []time.Duration{12 * time.Hour, time.Hour}
	sqlAt := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	claimed := sqlAt.Add(37 * time.Hour) // after the reminder of +36h
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		res, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: "late-claim", Email: "l@x.dk", Stage: handoff.StageSQL}, policy, sqlAt, handoff.ActorAPI)
		if err != nil {
			t.Fatal(err)
		}
		if _, won, err := s.ClaimLead(ctx, res.Lead.ID, handoff.Owner{Platform: "slack", UserID: "U1"}, claimed, handoff.Policy{}, "slack:U1"); err != nil || !won {
			t.Fatal(won, err)
		}
		fired, _, err := s.FireSLA(ctx, claimed, policy, 100)
		if err != nil || len(fired) != 0 {
			t.Fatalf("fired %v, %v; want nothing (the reminder fell due before the claim)", fired, err)
		}
		next, ok, err := s.NextSLADue(ctx)
		if want := sqlAt.Add(47 * time.Hour); err != nil || !ok || !next.Equal(want) {
			t.Fatalf("next SLA due %v %v %v, want the reminder of +47h, %s", next, ok, err, want)
		}
	})
}
