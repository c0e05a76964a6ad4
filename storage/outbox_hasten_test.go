package storage_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// HastenOutbox moves only the retries of chat messages for the platform
// (or for every platform) that no worker holds: not another platform's,
// not a new message's, not a held one's, not a webhook's, not one that
// waits as long as its platform asked (Retry-After).
func TestHastenOutbox(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		later := t0.Add(10 * time.Minute)
		msgs := []handoff.OutboxMessage{
			{Kind: handoff.OutboxPrivate, LeadID: 1, Platform: "slack"},            // retried: hastened
			{Kind: handoff.OutboxAnnounceLead, LeadID: 2},                          // retried, every platform: hastened
			{Kind: handoff.OutboxPrivate, LeadID: 3, Platform: "teams"},            // retried, another platform
			{Kind: handoff.OutboxPrivate, LeadID: 4, Platform: "slack"},            // held by a worker
			{Kind: handoff.OutboxWebhook, LeadID: 5, Platform: "slack"},            // a webhook to an endpoint named slack
			{Kind: handoff.OutboxRemind, LeadID: 6, Platform: "slack", Due: later}, // new, due later
			{Kind: handoff.OutboxPrivate, LeadID: 7, Platform: "slack"},            // waits out the platform's Retry-After
		}
		if err := s.Enqueue(ctx, t0, msgs...); err != nil {
			t.Fatal(err)
		}
		taken, err := s.TakeOutbox(ctx, t0, 10, time.Hour, "w1")
		if err != nil || len(taken) != 5 {
			t.Fatalf("take = %d messages, %v; want 5", len(taken), err)
		}
		hooks, err := s.TakeWebhooks(ctx, t0, 10, time.Hour, "w1")
		if err != nil || len(hooks) != 1 {
			t.Fatalf("take webhooks = %d, %v; want 1", len(hooks), err)
		}
		for _, m := range append(hooks, taken...) {
			o := handoff.OutboxOutcome{Message: m, Retry: later, Cause: "down"}
			switch m.LeadID {
			case 4:
				continue // stays held
			case 7:
				o.RetryAsked, o.Cause = true, "rate limited, retry after 10m"
			}
			if err := s.RecordOutbox(ctx, o)[0]; err != nil {
				t.Fatal(err)
			}
		}

		now := t0.Add(time.Second)
		n, err := s.HastenOutbox(ctx, "slack", now)
		if err != nil || n != 2 {
			t.Fatalf("hasten = %d, %v; want 2", n, err)
		}
		due, err := s.TakeOutbox(ctx, now, 10, time.Minute, "w2")
		if err != nil {
			t.Fatal(err)
		}
		var leads []int64
		for _, m := range due {
			leads = append(leads, m.LeadID)
		}
		slices.Sort(leads)
		if !slices.Equal(leads, []int64{1, 2}) {
			t.Fatalf("due after hastening: leads %v, want [1 2]", leads)
		}
		if n, err := s.HastenOutbox(ctx, "slack", now); err != nil || n != 0 {
			t.Fatalf("hasten again = %d, %v; want 0 (nothing waits)", n, err)
		}
	})
}
