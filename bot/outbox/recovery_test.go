package outbox_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/handoff/handoff/bot/outbox"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// After an outage, the cards waiting for a retry are posted as soon as
// Slack answers again, not at the end of each one's backoff; not again
// within a minute, though (a platform failing every other call).
func TestDispatchRetriesWhenThePlatformIsBack(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		cfg := r.config("w1")
		cfg.BaseBackoff = time.Minute // a first retry 30–60 s away
		disp := outbox.New(cfg)
		r.slack.FailNext("chat.postMessage", 2, http.StatusServiceUnavailable, 0)
		a, b := saveLead(t, s, "down-a"), saveLead(t, s, "down-b")
		drain(t, disp)
		if n := len(r.slack.Calls("chat.postMessage")); n != 2 {
			t.Fatalf("calls during the outage = %d, want 2", n)
		}

		r.clock.Advance(time.Second)
		c := saveLead(t, s, "up-c")
		drain(t, disp)
		calls := r.slack.Calls("chat.postMessage")[2:]
		if len(calls) != 3 || postsOf(calls[:1], c.Company) != 1 || postsOf(calls, a.Company) != 1 || postsOf(calls, b.Company) != 1 {
			t.Fatalf("after Slack answered again: %d calls, want the new lead's card, then both waiting cards", len(calls))
		}
		if st := outboxStatus(t, s); st.Pending != 0 || st.Dead != 0 {
			t.Fatalf("outbox = %+v, want empty", st)
		}

		// A second outage within the minute: its retries keep their backoff.
		r.slack.FailNext("chat.postMessage", 1, http.StatusServiceUnavailable, 0)
		d := saveLead(t, s, "down-d")
		drain(t, disp)
		r.clock.Advance(time.Second)
		e := saveLead(t, s, "up-e")
		drain(t, disp)
		calls = r.slack.Calls("chat.postMessage")[5:]
		if len(calls) != 2 || postsOf(calls, e.Company) != 1 || postsOf(calls, d.Company) != 1 {
			t.Fatalf("second outage: %d calls, want the failed and the new card", len(calls))
		}
		if st := outboxStatus(t, s); st.Pending != 1 {
			t.Fatalf("outbox = %+v, want the failed card still waiting", st)
		}
	})
}
