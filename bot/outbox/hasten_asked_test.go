package outbox_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot/outbox"
	slackbot "github.com/handoff/handoff/bot/slack"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestDispatchPlatformBackKeepsItsRetryAfter: when Slack answers again
// after failing, the card waiting out its backoff is made due at once,
// but not the card Slack rate-limited, with a 429's Retry-After: 120 or
// with rate_limited answered with HTTP 200 (no Retry-After: it waits
// RateLimitedWait): another replica (which holds no memory of the limit)
// does not send it before the wait is over.
func TestDispatchPlatformBackKeepsItsRetryAfter(t *testing.T) {
	tests := []struct {
		name  string
		limit func(r *rig)
		wait  time.Duration
	}{
		{"429 Retry-After", func(r *rig) { r.slack.FailNext("chat.postMessage", 1, http.StatusTooManyRequests, 120) }, 2 * time.Minute},
		{"rate_limited", func(r *rig) { r.slack.ErrorNext("chat.postMessage", 1, "rate_limited") }, slackbot.RateLimitedWait},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			storagetest.Each(t, func(t *testing.T, s *storage.Store) {
				ctx := context.Background()
				r := newRig(t, s)
				cfg := r.config("w1")
				cfg.BaseBackoff = time.Minute // a first retry 30–60 s away
				w1 := outbox.New(cfg)
				round := func(d *outbox.Dispatcher) {
					t.Helper()
					if _, err := d.RunOnce(ctx); err != nil {
						t.Fatal(err)
					}
				}

				r.slack.FailNext("chat.postMessage", 1, http.StatusServiceUnavailable, 0)
				a := saveLead(t, s, "down-a")
				round(w1) // Slack fails: a waits out its backoff

				tt.limit(r)
				b := saveLead(t, s, "limited-b")
				notice := `{"channel":"CSALES","user":"U1","message":{"summary":"a notice","private":true}}`
				if err := s.Enqueue(ctx, r.clock.Now(), handoff.OutboxMessage{Kind: handoff.OutboxPrivate, Platform: "slack", Payload: notice}); err != nil {
					t.Fatal(err)
				}
				round(w1) // b is rate-limited; the notice goes through: Slack is back

				drain(t, r.dispatcher("w2"))
				calls := r.slack.Calls("chat.postMessage")
				if postsOf(calls, a.Company) != 2 {
					t.Errorf("card a posted %d times, want twice (failed, then at once once Slack answered)", postsOf(calls, a.Company))
				}
				if n := postsOf(calls, b.Company); n != 1 {
					t.Fatalf("card b sent %d times within Slack's wait of %s, want once (the rate-limited call)", n, tt.wait)
				}
				msgs, err := s.OutboxMessages(ctx, b.ID)
				if err != nil || len(msgs) != 1 || !msgs[0].Due.Equal(t0.Add(tt.wait)) {
					t.Fatalf("card b in the outbox = %+v, %v; want due at %s", msgs, err, t0.Add(tt.wait))
				}

				r.clock.Advance(tt.wait)
				drain(t, r.dispatcher("w2"))
				if n := postsOf(r.slack.Calls("chat.postMessage"), b.Company); n != 2 {
					t.Fatalf("card b sent %d times after its wait, want twice", n)
				}
			})
		})
	}
}
