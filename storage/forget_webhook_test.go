package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// An erasure scrubs the free text (a recycle reason, a rep's note) from
// the lead's webhook messages, pending and dead: the event they tell
// still reaches the CRM, without the words.
func TestForgetScrubsWebhookPayloads(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		policy := handoff.DefaultPolicy()
		s.RouteWebhooks([]handoff.WebhookRoute{
			{Key: "wh:dead", Events: []handoff.WebhookEvent{handoff.WebhookStageChanged}},
			{Key: "wh:crm", Events: []handoff.WebhookEvent{handoff.WebhookStageChanged, handoff.WebhookErased}},
		})
		note := "Annika asked to wait until January"
		for _, raw := range []map[string]any{
			{"external_id": "wh-1", "name": "Annika Bergström", "email": "annika@bergstrom.dk"},
			{"external_id": "wh-1", "stage": "recycled", "reason": note},
		} {
			if _, err := s.SaveLead(ctx, input(t, raw), policy, t0, handoff.ActorAPI); err != nil {
				t.Fatal(err)
			}
		}
		msgs, err := s.TakeWebhooks(ctx, t0, 100, time.Minute, "hooks")
		if err != nil || len(msgs) != 2 {
			t.Fatalf("take = %d, %v; want 2", len(msgs), err)
		}
		for _, m := range msgs {
			if m.Platform == "wh:dead" {
				if err := s.FailOutbox(ctx, m, t0, `HTTP 400: {"error":"annika@bergstrom.dk exists"}`); err != nil {
					t.Fatal(err)
				}
			} else if err := s.RetryOutbox(ctx, m, t0, "HTTP 503"); err != nil {
				t.Fatal(err)
			}
		}
		if found, _ := s.FindText(ctx, note); len(found) == 0 {
			t.Fatal("the note is nowhere before the erase")
		}
		if err := s.ForgetLead(ctx, "wh-1", policy, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		for _, text := range []string{note, "annika@bergstrom.dk"} {
			if found, err := s.FindText(ctx, text); err != nil || len(found) > 0 {
				t.Errorf("after the erase %q is in %v (%v)", text, found, err)
			}
		}
		var got []string
		for round := 0; round < 3; round++ {
			msgs, err := s.TakeWebhooks(ctx, t0.Add(time.Hour), 100, time.Minute, "hooks")
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range msgs {
				got = append(got, m.Platform)
				if err := s.CompleteOutbox(ctx, m, t0.Add(time.Hour), "HTTP 200"); err != nil {
					t.Fatal(err)
				}
			}
		}
		if len(got) != 2 {
			t.Errorf("delivered after the erase %v, want the stage change and the erasure still told", got)
		}
	})
}
