package outbox_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/outbox"
	slackbot "github.com/handoff/handoff/bot/slack"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// slowSlack is a proxy in front of the rig's fake Slack that runs onPost
// before passing on each chat.postMessage: a slow Slack whose slowness is
// told by the test clock, so the test does not depend on timing.
func slowSlack(t *testing.T, r *rig, onPost func()) string {
	t.Helper()
	return hookedSlack(t, r, func(method string) {
		if method == "chat.postMessage" {
			onPost()
		}
	})
}

func dispatcherAt(r *rig, apiURL, worker string, lease time.Duration) *outbox.Dispatcher {
	p := slackbot.NewPlatform(slackbot.NewClient(botToken, "", apiURL, slacktest.ClientTimeout))
	return outbox.New(outbox.Config{
		Store: r.store, Targets: []bot.Target{{Platform: p, SalesChannel: "CSALES"}}, Policy: handoff.DefaultPolicy(),
		Now: r.clock.Now, Logger: quiet(), Worker: worker, Lease: lease,
	})
}

// Two replicas share one outbox; the first leases a batch and sends it
// through a Slack so slow that the batch outlives the lease. The second
// takes over what the first has not reached, and nothing is sent twice.
func TestDispatchTwoReplicasSlowSlack(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		var leads []*handoff.Lead
		for i := range 8 {
			leads = append(leads, saveLead(t, s, fmt.Sprintf("replica-%d", i)))
		}
		const lease = 2 * time.Minute
		second := r.dispatcher("replica-2")
		var mu sync.Mutex
		posts := 0
		first := dispatcherAt(r, slowSlack(t, r, func() {
			mu.Lock()
			defer mu.Unlock()
			posts++
			r.clock.Advance(lease / 2) // each call takes half a lease
			if posts == 2 {
				// The batch's lease has run out: the other replica
				// looks at the outbox while this call is in flight.
				drain(t, second)
			}
		}), "replica-1", lease)
		if _, err := first.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		drain(t, first)
		drain(t, second)
		calls := r.slack.Calls("chat.postMessage")
		for _, l := range leads {
			if n := postsOf(calls, l.Company); n != 1 {
				t.Errorf("%s posted %d times, want 1", l.Company, n)
			}
		}
		if posts < 2 || posts == len(leads) {
			t.Fatalf("the first replica sent %d of %d: the test did not split the batch", posts, len(leads))
		}
		if st := outboxStatus(t, s); st.Pending != 0 || st.Dead != 0 {
			t.Fatalf("outbox = %+v, want every message done", st)
		}
	})
}

// throughRetries runs d and moves the clock on to when d's next message is
// due (d.NextDue), at most rounds times, until the outbox is empty or done
// reports true, and returns the waits.
func (r *rig) throughRetries(t *testing.T, d *outbox.Dispatcher, rounds int, done func() bool) []time.Duration {
	t.Helper()
	var waits []time.Duration
	for i := 0; i < rounds && !done(); i++ {
		drain(t, d)
		next, ok, err := d.NextDue(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		wait := next.Sub(r.clock.Now())
		waits = append(waits, wait)
		r.clock.Advance(wait)
	}
	return waits
}

// A message Slack rate-limits for ever is held, not given up: a rate limit
// is no failure (the platform answers, and said when to come back), so it
// stays pending with no attempt counted (HandoffOutboxStalled reports
// it), and is posted once Slack takes posts again.
func TestDispatchRateLimitedForeverWaits(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		r.slack.FailNext("chat.postMessage", 1000, http.StatusTooManyRequests, 3600)
		l := saveLead(t, s, "limited")
		ctx := context.Background()
		r.throughRetries(t, r.disp, 60, func() bool { return false })
		msgs, err := s.OutboxMessages(ctx, l.ID)
		if err != nil || len(msgs) != 1 {
			t.Fatalf("outbox = %+v, %v", msgs, err)
		}
		m := msgs[0]
		if m.Status != storage.OutboxPending || m.Attempts != 0 || !strings.Contains(m.LastError, "rate limited") {
			t.Fatalf("after %s of 429s the message is %s after %d attempts (%s), want pending, none counted", r.clock.Now().Sub(t0), m.Status, m.Attempts, m.LastError)
		}
		if st := outboxStatus(t, s); st.Dead != 0 {
			t.Fatalf("dead = %d, want 0", st.Dead)
		}
		r.slack.Recover("chat.postMessage")
		r.throughRetries(t, r.disp, 2, func() bool { return outboxStatus(t, s).Pending == 0 })
		if posts, err := s.ChatPosts(ctx, l.ID); err != nil || len(posts) != 1 {
			t.Fatalf("cards = %+v, %v; want the card posted once Slack took posts again", posts, err)
		}
	})
}

// A replica that stops while Slack is answering a post finishes that one
// call and records it: cancelling the call would leave a card Slack posted
// marked unsent, and the next replica would post it a second time.
func TestDispatchStopMidSendRecordsThePost(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		l := saveLead(t, s, "stop-mid-send")
		ctx, stop := context.WithCancel(context.Background())
		d := dispatcherAt(r, slowSlack(t, r, stop), "replica-1", time.Minute)
		if _, err := d.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		drain(t, r.dispatcher("replica-2"))
		if n := postsOf(r.slack.Calls("chat.postMessage"), l.Company); n != 1 {
			t.Fatalf("%s posted %d times, want 1", l.Company, n)
		}
		if st := outboxStatus(t, s); st.Pending != 0 || st.Dead != 0 {
			t.Fatalf("outbox = %+v, want the post recorded as done", st)
		}
	})
}

// renewSpy is the store, telling the test of every lease renewal.
type renewSpy struct {
	outbox.Store
	renewed chan error
}

func (s renewSpy) RenewOutbox(ctx context.Context, m handoff.OutboxMessage, until time.Time) error {
	err := s.Store.RenewOutbox(ctx, m, until)
	s.renewed <- err
	return err
}

// While one slow send runs for one and a half leases, the dispatcher
// renews the message's lease every third of a lease (ticked by the test),
// so another replica looking at the outbox mid-send cannot take it, and
// the card is posted once.
func TestDispatchRenewsLeaseDuringSlowSend(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		l := saveLead(t, s, "slow-send")
		const lease = 2 * time.Minute
		ticks := make(chan time.Time)
		var period time.Duration
		spy := renewSpy{Store: s, renewed: make(chan error)}
		second := r.dispatcher("replica-2")
		onPost := func() {
			for i := range 3 {
				r.clock.Advance(lease / 2)
				select {
				case ticks <- r.clock.Now():
				case <-time.After(time.Minute):
					t.Errorf("tick %d: the dispatcher does not tick its lease renewal", i)
					return
				}
				select {
				case err := <-spy.renewed:
					if err != nil {
						t.Errorf("renewal %d: %v", i, err)
						return
					}
				case <-time.After(time.Minute):
					t.Errorf("tick %d: no renewal", i)
					return
				}
				// The lease taken at the start has run out by now; the
				// other replica looks at the outbox.
				if n, err := second.RunOnce(context.Background()); err != nil || n != 0 {
					t.Errorf("after %d renewals, the other replica took %d messages (%v)", i+1, n, err)
				}
			}
		}
		p := slackbot.NewPlatform(slackbot.NewClient(botToken, "", slowSlack(t, r, onPost), slacktest.ClientTimeout))
		first := outbox.New(outbox.Config{
			Store: spy, Targets: []bot.Target{{Platform: p, SalesChannel: "CSALES"}}, Policy: handoff.DefaultPolicy(),
			Now: r.clock.Now, Logger: quiet(), Worker: "replica-1", Lease: lease,
			Ticker: func(every time.Duration) (<-chan time.Time, func()) {
				period = every
				return ticks, func() {}
			},
		})
		if n, err := first.RunOnce(context.Background()); err != nil || n != 1 {
			t.Fatalf("RunOnce = %d, %v", n, err)
		}
		if period != lease/3 {
			t.Errorf("renewal period = %s, want a third of the lease (%s)", period, lease/3)
		}
		if n := postsOf(r.slack.Calls("chat.postMessage"), l.Company); n != 1 {
			t.Fatalf("card posted %d times, want 1", n)
		}
		if st := outboxStatus(t, s); st.Pending != 0 || st.Dead != 0 {
			t.Fatalf("outbox = %+v, want the message done by its holder", st)
		}
	})
}
