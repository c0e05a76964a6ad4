package scheduler_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/scheduler"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// The daily maintenance deletes the outbox messages sent over
// scheduler.OutboxKeep ago, which were kept for ever, so the outbox grew
// with every card, update and notice sent; it keeps those sent since, the
// pending ones and the dead ones (left to handoff outbox).
func TestMaintenancePrunesSentOutbox(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		const lead = 7
		queue := func(kind string, at time.Time, outcome func(m handoff.OutboxMessage) handoff.OutboxOutcome) {
			t.Helper()
			if err := s.Enqueue(ctx, at, handoff.OutboxMessage{Kind: kind, LeadID: lead}); err != nil {
				t.Fatal(err)
			}
			taken, err := s.TakeOutbox(ctx, at, 1, time.Minute, "w")
			if err != nil || len(taken) != 1 || taken[0].Kind != kind {
				t.Fatalf("take %s = %+v, %v", kind, taken, err)
			}
			if err := s.RecordOutbox(ctx, outcome(taken[0]))[0]; err != nil {
				t.Fatal(err)
			}
		}
		sent := func(m handoff.OutboxMessage) handoff.OutboxOutcome {
			return handoff.OutboxOutcome{Message: m, At: m.Due.Add(time.Second), Result: "ok"}
		}
		queue("sent-long-ago", t0, sent)
		queue("dead", t0, func(m handoff.OutboxMessage) handoff.OutboxOutcome {
			return handoff.OutboxOutcome{Message: m, At: t0, Dead: true, Cause: "channel_not_found"}
		})
		queue("waiting", t0, func(m handoff.OutboxMessage) handoff.OutboxOutcome {
			return handoff.OutboxOutcome{Message: m, Retry: t0.Add(30 * 24 * time.Hour), Cause: "HTTP 503"}
		})
		tick := t0.Add(scheduler.OutboxKeep + 2*24*time.Hour)
		queue("sent-lately", tick.Add(-24*time.Hour), sent)

		if _, err := newScheduler(t, s, &clock{now: tick}, "a").Tick(ctx); err != nil {
			t.Fatal(err)
		}
		msgs, err := s.OutboxMessages(ctx, lead)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, m := range msgs {
			kinds = append(kinds, m.Kind)
		}
		if want := []string{"dead", "waiting", "sent-lately"}; !slices.Equal(kinds, want) {
			t.Fatalf("outbox after maintenance = %v, want %v", kinds, want)
		}
	})
}
