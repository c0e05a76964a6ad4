package outbox_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/handoff/handoff/bot/outbox"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestDispatchGiveUpCountsOnlyFailures: a card's give-up deadline (an hour
// here) runs from its first failure, not counting the waits Slack asked
// for: a card first tried two hours after it was queued (no replica
// served its platform meanwhile) that fails is retried, not given up at
// once; nor is one that fails again after a rate limit of two hours.
func TestDispatchGiveUpCountsOnlyFailures(t *testing.T) {
	type step struct {
		late  time.Duration // after the card's due time
		fault func(*slacktest.Server)
	}
	down := func(s *slacktest.Server) { s.FailNext("chat.postMessage", 1, http.StatusServiceUnavailable, 0) }
	limited := func(s *slacktest.Server) { s.FailNext("chat.postMessage", 1, http.StatusTooManyRequests, 7200) }
	tests := []struct {
		name  string
		steps []step
	}{
		{"first tried late", []step{{2 * time.Hour, down}, {0, down}}},
		{"failing after a long rate limit", []step{{0, down}, {0, limited}, {0, down}, {0, down}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			storagetest.Each(t, func(t *testing.T, s *storage.Store) {
				ctx := context.Background()
				r := newRig(t, s)
				cfg := r.config("w1")
				cfg.GiveUpAfter = time.Hour
				disp := outbox.New(cfg)
				l := saveLead(t, s, "late")
				for i, st := range tt.steps {
					next, ok, err := disp.NextDue(ctx)
					if err != nil || !ok {
						t.Fatalf("step %d: next due = %v, %v", i+1, ok, err)
					}
					r.clock.Advance(next.Sub(r.clock.Now()) + st.late)
					st.fault(r.slack)
					drain(t, disp)
					if o := outboxStatus(t, s); o.Dead != 0 || o.Pending != 1 {
						t.Fatalf("step %d, %s after the card was queued: outbox = %+v, want the card pending, not given up",
							i+1, r.clock.Now().Sub(t0), o)
					}
				}
				r.throughRetries(t, disp, 5, func() bool { return outboxStatus(t, s).Pending == 0 })
				posts, err := s.ChatPosts(ctx, l.ID)
				if err != nil || len(posts) != 1 {
					t.Fatalf("cards = %+v, %v; want the card posted at last", posts, err)
				}
			})
		})
	}
}
