package outbox_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/outbox"
	slackbot "github.com/handoff/handoff/bot/slack"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/internal/busy"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// countingStore records how the dispatcher records outcomes: the size of
// each RecordOutbox call (one call is one transaction).
type countingStore struct {
	*storage.Store
	mu    sync.Mutex
	sizes []int
}

func (c *countingStore) RecordOutbox(ctx context.Context, outcomes ...handoff.OutboxOutcome) []error {
	c.mu.Lock()
	c.sizes = append(c.sizes, len(outcomes))
	c.mu.Unlock()
	return c.Store.RecordOutbox(ctx, outcomes...)
}

func (c *countingStore) recorded() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]int(nil), c.sizes...)
}

// hookedSlack is a proxy in front of the rig's fake Slack that runs
// on(method) before passing on each call (a Web API method name, such as
// "chat.postMessage"), and returns the proxy's API URL.
func hookedSlack(t *testing.T, r *rig, on func(method string)) string {
	t.Helper()
	return hookedSlackCalls(t, r, func(method string, _ []byte) { on(method) })
}

// hookedSlackCalls is hookedSlack whose on also gets each call's body.
func hookedSlackCalls(t *testing.T, r *rig, on func(method string, body []byte)) string {
	t.Helper()
	target, err := url.Parse(r.slack.APIURL())
	if err != nil {
		t.Fatal(err)
	}
	target.Path = ""
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		on(req.URL.Path[strings.LastIndex(req.URL.Path, "/")+1:], body)
		proxy.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/api/"
}

func yieldingDispatcher(r *rig, store outbox.Store, apiURL string, gate *busy.Gate, yield time.Duration) *outbox.Dispatcher {
	p := slackbot.NewPlatform(slackbot.NewClient(botToken, "", apiURL, slacktest.ClientTimeout))
	return outbox.New(outbox.Config{
		Store: store, Targets: []bot.Target{{Platform: p, SalesChannel: "CSALES"}}, Policy: handoff.DefaultPolicy(),
		Now: r.clock.Now, Logger: quiet(), Worker: "w1", Lease: time.Minute, Interactive: gate, Yield: yield,
	})
}

// waitFor blocks until cond holds (the test's own timeout ends a wait
// that never comes; no clock here decides the outcome).
func waitFor(cond func() bool) {
	for !cond() {
		time.Sleep(time.Millisecond)
	}
}

// While a click is being acknowledged the dispatcher takes no batch and
// starts no next message; once the click is answered it goes on.
func TestDispatchYieldsToInteractive(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s)
		var gate busy.Gate
		var mu sync.Mutex
		var clickDuringPost func() // the second click, arriving while the first card is posted
		api := hookedSlack(t, r, func(method string) {
			mu.Lock()
			defer mu.Unlock()
			if method == "chat.postMessage" && clickDuringPost == nil {
				clickDuringPost = gate.Enter()
			}
		})
		d := yieldingDispatcher(r, s, api, &gate, time.Hour)
		first, second := saveLead(t, s, "yield-1"), saveLead(t, s, "yield-2")

		click := gate.Enter()
		done := make(chan int, 1)
		go func() {
			n, err := d.RunOnce(ctx)
			if err != nil {
				t.Error(err)
			}
			done <- n
		}()
		waitFor(func() bool { return gate.Waiting() == 1 || len(done) > 0 })
		if len(done) > 0 {
			t.Fatal("the round did not wait for the click")
		}
		msgs, err := s.OutboxMessages(ctx, first.ID)
		if err != nil || len(msgs) != 1 || msgs[0].Attempts != 0 || len(r.slack.Calls("chat.postMessage")) != 0 {
			t.Fatalf("while a click waits: outbox %+v (%v), %d posts; want nothing taken or sent", msgs, err, len(r.slack.Calls("chat.postMessage")))
		}
		click()
		// The first card is posted; the click that arrived meanwhile holds
		// back the second.
		waitFor(func() bool {
			mu.Lock()
			defer mu.Unlock()
			return (clickDuringPost != nil && gate.Waiting() == 1) || len(done) > 0
		})
		if len(done) > 0 {
			t.Fatal("the round did not wait for the second click")
		}
		if calls := r.slack.Calls("chat.postMessage"); len(calls) != 1 || postsOf(calls, first.Company) != 1 {
			t.Fatalf("posts while the second click waits = %d, want only %s's card", len(calls), first.Company)
		}
		if posts, _ := s.ChatPosts(ctx, first.ID); len(posts) != 1 {
			t.Fatalf("first card's post = %+v, want it recorded before yielding", posts)
		}
		mu.Lock()
		clickDuringPost()
		mu.Unlock()
		if n := <-done; n != 2 {
			t.Fatalf("round handled %d, want 2", n)
		}
		if calls := r.slack.Calls("chat.postMessage"); len(calls) != 2 || postsOf(calls, second.Company) != 1 {
			t.Fatalf("posts after the clicks = %d, want both cards", len(calls))
		}
	})
}

// A request that never ends holds the dispatcher back for at most Yield a
// round: the outbox is slowed, never stopped.
func TestDispatchYieldIsBounded(t *testing.T) {
	s := storagetest.Open(t, storage.DialectSQLite)
	r := newRig(t, s)
	var gate busy.Gate
	defer gate.Enter()()
	l := saveLead(t, s, "stuck-click")
	drain(t, yieldingDispatcher(r, s, r.slack.APIURL(), &gate, time.Nanosecond))
	if n := postsOf(r.slack.Calls("chat.postMessage"), l.Company); n != 1 {
		t.Fatalf("posts = %d with a request stuck in flight, want 1", n)
	}
}

// A round's bookkeeping is one transaction: notices and card updates are
// recorded together when the round ends, a new card as soon as it is
// posted, and everything before half the lease has run.
func TestDispatchBatchesBookkeeping(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s)
		cs := &countingStore{Store: s}
		var mu sync.Mutex
		late := false // advance the clock past half the lease on the next notice
		api := hookedSlack(t, r, func(method string) {
			mu.Lock()
			defer mu.Unlock()
			if method == "chat.postEphemeral" && late {
				late = false
				r.clock.Advance(40 * time.Second)
			}
		})
		d := yieldingDispatcher(r, cs, api, nil, 0)
		notice := func(n int) {
			for i := range n {
				payload := fmt.Sprintf(`{"channel":"CSALES","user":"U%d","message":{"summary":"notice %d","private":true}}`, i, i)
				if err := s.Enqueue(ctx, r.clock.Now(), handoff.OutboxMessage{Kind: handoff.OutboxPrivate, Platform: "slack", Payload: payload}); err != nil {
					t.Fatal(err)
				}
			}
		}

		notice(5)
		if n, err := d.RunOnce(ctx); err != nil || n != 5 {
			t.Fatalf("round = %d, %v", n, err)
		}
		if got := cs.recorded(); len(got) != 1 || got[0] != 5 {
			t.Fatalf("five notices recorded as %v, want one transaction of 5", got)
		}

		saveLead(t, s, "batch-a")
		saveLead(t, s, "batch-b")
		notice(1)
		if n, err := d.RunOnce(ctx); err != nil || n != 3 {
			t.Fatalf("round = %d, %v", n, err)
		}
		if got := cs.recorded()[1:]; len(got) != 3 || got[0] != 1 || got[1] != 1 || got[2] != 1 {
			t.Fatalf("two cards and a notice recorded as %v, want each card at once, then the notice", got)
		}

		notice(3)
		mu.Lock()
		late = true
		mu.Unlock()
		if n, err := d.RunOnce(ctx); err != nil || n != 3 {
			t.Fatalf("round = %d, %v", n, err)
		}
		if got := cs.recorded()[4:]; len(got) != 3 || got[0] != 1 || got[1] != 1 || got[2] != 1 {
			t.Fatalf("notices past half the lease recorded as %v, want each before the next is sent", got)
		}
		if st := outboxStatus(t, s); st.Pending != 0 || st.Dead != 0 {
			t.Fatalf("outbox = %+v, want everything done", st)
		}
		if n := len(r.slack.Calls("chat.postEphemeral")); n != 9 {
			t.Fatalf("notices sent = %d, want 9", n)
		}
	})
}
