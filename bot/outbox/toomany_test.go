package outbox_test

import (
	"context"
	"testing"
	"time"

	"github.com/handoff/handoff/bot/outbox"
	slackbot "github.com/handoff/handoff/bot/slack"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestDispatchPostedTooManyIsRetried: a card Slack refused with
// rate_limited ("Application has posted too many messages", HTTP 200, no
// Retry-After) waits RateLimitedWait, as after a 429, and is posted; it is
// not given up, and the managers are not told it never reached the sales
// channel.
func TestDispatchPostedTooManyIsRetried(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		disp := outbox.New(r.managersConfig("w1"))
		r.slack.ErrorNext("chat.postMessage", 1, "rate_limited")
		l := saveLead(t, s, "too-many")
		drain(t, disp)
		if st := outboxStatus(t, s); st.Dead != 0 || st.Pending != 1 {
			t.Fatalf("outbox after rate_limited = %+v, want the card waiting for a retry, not given up", st)
		}
		if notes := r.slack.Messages("CMGR"); len(notes) != 0 {
			t.Fatalf("managers' channel = %+v, want no note of a card given up", notes)
		}

		r.clock.Advance(slackbot.RateLimitedWait - time.Second)
		drain(t, disp)
		if n := len(r.slack.Calls("chat.postMessage")); n != 1 {
			t.Fatalf("posts before the wait was over = %d, want 1 (the refused one)", n)
		}
		r.clock.Advance(time.Second)
		drain(t, disp)
		posts, err := s.ChatPosts(context.Background(), l.ID)
		if err != nil || len(posts) != 1 {
			t.Fatalf("cards = %+v, %v; want the card posted on its retry", posts, err)
		}
	})
}
