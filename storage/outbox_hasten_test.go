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
// not a new message's, not a held one's, not a webhook's.
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
		}
		if err := s.Enqueue(ctx, t0, msgs...); err != nil {
			t.Fatal(err)
		}
		taken, err := s.TakeOutbox(ctx, t0, 10, time.Hour, "w1")
		if err != nil || len(taken) != 4 {
			t.Fatalf("take = %d messages, %v; want 4", len(taken), err)
		}
		hooks, err := s.TakeWebhooks(ctx, t0, 10, time.Hour, "w1")
		if err != nil || len(hooks) != 1 {
			t.Fatalf("take webhooks = %d, %v; want 1", len(hooks), err)
		}
		for _, m := range append(hooks, taken...) {
			if m.LeadID == 4 {
				continue // stays held
			}
			if err := s.RetryOutbox(ctx, m, later, "down"); err != nil {
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
