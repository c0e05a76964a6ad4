package outbox_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/handoff/handoff/bot/outbox"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestDispatchRateLimitsAreNotFailures: the waits Slack asked for (three
// 429s with Retry-After: 1) are not counted as attempts, so the card's
// first failure after them (a 503) backs off as a first failure does,
// 0.5–1 s, not as a fourth.
func TestDispatchRateLimitsAreNotFailures(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s)
		r.slack.FailNext("chat.postMessage", 3, http.StatusTooManyRequests, 1)
		l := saveLead(t, s, "held")
		for i := range 3 {
			drain(t, r.disp)
			msgs, err := s.OutboxMessages(ctx, l.ID)
			if err != nil || len(msgs) != 1 || msgs[0].Attempts != 0 {
				t.Fatalf("after rate limit %d: outbox = %+v, %v; want the card pending with no attempt counted", i+1, msgs, err)
			}
			r.clock.Advance(time.Second)
		}
		r.slack.FailNext("chat.postMessage", 1, http.StatusServiceUnavailable, 0)
		drain(t, r.disp)
		msgs, err := s.OutboxMessages(ctx, l.ID)
		if err != nil || len(msgs) != 1 || msgs[0].Attempts != 1 {
			t.Fatalf("after the 503: outbox = %+v, %v; want one attempt counted", msgs, err)
		}
		if wait := msgs[0].Due.Sub(r.clock.Now()); wait < 500*time.Millisecond || wait > time.Second {
			t.Fatalf("backoff after the first failure = %s, want 0.5–1 s (the rate limits are no failures)", wait)
		}
		if n := len(r.slack.Calls("chat.postMessage")); n != 4 {
			t.Fatalf("%d posts, want 4 (three rate-limited, one failed)", n)
		}
	})
}

// TestDispatchRateLimitNeverGivesUp: a card Slack rate-limits past the
// give-up deadline (Retry-After: 2 h, an hour's deadline) is held, not
// given up: the platform answers, and is posted once the wait is over.
func TestDispatchRateLimitNeverGivesUp(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s)
		cfg := r.managersConfig("w1")
		cfg.GiveUpAfter = time.Hour
		disp := outbox.New(cfg)
		r.slack.FailNext("chat.postMessage", 2, http.StatusTooManyRequests, 7200)
		l := saveLead(t, s, "held-long")
		for i := range 2 {
			drain(t, disp)
			if st := outboxStatus(t, s); st.Dead != 0 || st.Pending != 1 {
				t.Fatalf("after rate limit %d (%s after the card was queued): outbox = %+v, want the card held, not given up",
					i+1, r.clock.Now().Sub(t0), st)
			}
			r.clock.Advance(2 * time.Hour)
		}
		drain(t, disp)
		posts, err := s.ChatPosts(ctx, l.ID)
		if err != nil || len(posts) != 1 {
			t.Fatalf("cards = %+v, %v; want the card posted after the waits", posts, err)
		}
		if notes := r.slack.Messages("CMGR"); len(notes) != 0 {
			t.Fatalf("managers' channel = %+v, want no note of a card given up", notes)
		}
	})
}
