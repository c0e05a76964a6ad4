package storage_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

func TestWebhooksQueuedWithTheirEvents(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		policy := handoff.DefaultPolicy()
		s.RouteWebhooks([]handoff.WebhookRoute{
			{Key: "wh:crm", Events: []handoff.WebhookEvent{handoff.WebhookAnnounced, handoff.WebhookClaimed, handoff.WebhookErased}},
			{Key: "wh:bi", Events: []handoff.WebhookEvent{handoff.WebhookClaimed}},
		})
		res, err := s.SaveLead(ctx, input(t, map[string]any{"external_id": "w1", "name": "Ann"}), policy, t0, "marketing")
		if err != nil {
			t.Fatal(err)
		}
		id := res.Lead.ID
		if _, ok, err := s.ClaimLead(ctx, id, handoff.Owner{Platform: "slack", UserID: "U1"}, t0.Add(time.Minute), handoff.Policy{}, "U1"); err != nil || !ok {
			t.Fatalf("claim: %v %v", ok, err)
		}
		if err := s.ForgetLead(ctx, "w1", policy, t0.Add(2*time.Minute)); err != nil {
			t.Fatal(err)
		}

		// The chat lane never sees webhook messages.
		chat, err := s.TakeOutbox(ctx, t0.Add(time.Hour), 100, time.Minute, "chat")
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range chat {
			if m.Kind == handoff.OutboxWebhook {
				t.Fatalf("chat lane took %+v", m)
			}
		}

		// The webhook lane takes only the oldest message per lead and endpoint.
		var got []string
		for round := 0; round < 5; round++ {
			msgs, err := s.TakeWebhooks(ctx, t0.Add(time.Hour), 100, time.Minute, "hooks")
			if err != nil {
				t.Fatal(err)
			}
			if round == 0 && len(msgs) != 2 {
				t.Fatalf("first take = %d messages, want one per endpoint", len(msgs))
			}
			for _, m := range msgs {
				var n handoff.WebhookNotice
				if err := json.Unmarshal([]byte(m.Payload), &n); err != nil || len(n.ID) < 20 {
					t.Fatalf("payload %q: %v", m.Payload, err)
				}
				got = append(got, m.Platform+" "+string(n.Type)+" "+n.Actor)
				if err := s.CompleteOutbox(ctx, m, t0.Add(time.Hour), "HTTP 200"); err != nil {
					t.Fatal(err)
				}
			}
		}
		want := []string{"wh:crm lead.announced marketing", "wh:bi lead.claimed U1", "wh:crm lead.claimed U1", "wh:crm lead.erased system"}
		if len(got) != len(want) {
			t.Fatalf("delivered %v, want %v", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("delivered %v, want %v", got, want)
			}
		}
		if _, ok, err := s.NextWebhookDue(ctx); err != nil || ok {
			t.Fatalf("NextWebhookDue after all delivered = %v, %v", ok, err)
		}
	})
}

func TestWebhookQueueWaitsForItsHead(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		s.RouteWebhooks([]handoff.WebhookRoute{{Key: "wh:crm", Events: handoff.WebhookEvents}})
		res, err := s.SaveLead(ctx, input(t, map[string]any{"external_id": "w2"}), handoff.DefaultPolicy(), t0, "api")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.ClaimLead(ctx, res.Lead.ID, handoff.Owner{Platform: "slack", UserID: "U1"}, t0, handoff.Policy{}, "U1"); err != nil {
			t.Fatal(err)
		}
		msgs, _ := s.TakeWebhooks(ctx, t0, 10, time.Minute, "hooks")
		if len(msgs) != 1 {
			t.Fatalf("took %d", len(msgs))
		}
		// The announcement fails and waits 10 minutes; the claim waits behind it.
		if err := s.RetryOutbox(ctx, msgs[0], t0.Add(10*time.Minute), "HTTP 503"); err != nil {
			t.Fatal(err)
		}
		if more, _ := s.TakeWebhooks(ctx, t0.Add(5*time.Minute), 10, time.Minute, "hooks"); len(more) != 0 {
			t.Fatalf("a later event overtook the retried one: %+v", more)
		}
		if due, ok, err := s.NextWebhookDue(ctx); err != nil || !ok || !due.Equal(t0.Add(10*time.Minute)) {
			t.Fatalf("NextWebhookDue = %v %v %v", due, ok, err)
		}
		if _, ok, _ := s.NextOutboxDueFor(ctx, "chat", t0); ok {
			// Only webhook messages are pending besides chat work already taken.
			chat, _ := s.TakeOutbox(ctx, t0.Add(time.Hour), 10, time.Minute, "chat")
			for _, m := range chat {
				if m.Kind == handoff.OutboxWebhook {
					t.Fatalf("chat lane took a webhook message")
				}
			}
		}
	})
}
