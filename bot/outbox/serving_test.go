package outbox_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/handoff/handoff/bot/outbox"
	slackbot "github.com/handoff/handoff/bot/slack"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/storage/storagetest"
)

// servingLease is the lease of the dispatchers below, and so the time
// their record of the platforms they serve lasts.
const servingLease = 2 * time.Minute

// servedUntil is when worker's record of serving Slack ends
// (outbox_servers), read on raw.
func servedUntil(raw *sql.DB, worker string) (time.Time, error) {
	var until int64
	err := raw.QueryRow(fmt.Sprintf(`SELECT until_ms FROM outbox_servers WHERE worker = '%s' AND platform = '%s'`, worker, slackbot.Name)).Scan(&until)
	if err != nil {
		return time.Time{}, fmt.Errorf("the record of %s serving Slack: %w", worker, err)
	}
	return time.UnixMilli(until).UTC(), nil
}

// stalledSlack is the rig's fake Slack holding each chat.postMessage
// until the test releases it: held receives once a post is held, and
// release lets every post through.
func stalledSlack(t *testing.T, r *rig) (apiURL string, held <-chan struct{}, release func()) {
	t.Helper()
	h := make(chan struct{})
	let := make(chan struct{})
	apiURL = hookedSlack(t, r, func(method string) {
		if method == "chat.postMessage" {
			select {
			case h <- struct{}{}:
			case <-let: // released: no one waits for the post held
			}
			<-let
		}
	})
	var once sync.Once
	return apiURL, h, func() { once.Do(func() { close(let) }) }
}

// A replica whose round is held in one call by a stalled Slack for
// longer than the record of the platforms it serves keeps that record
// alive, renewed with the message's lease at each tick: renewed only at
// the rounds' starts, it ended while the replica still served Slack, and
// `handoff outbox drop --pending` (DropPendingOutbox) took it for gone.
func TestDispatchKeepsItsRecordThroughAStalledCall(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			s, raw := storagetest.OpenRaw(t, dialect)
			r := newRig(t, s)
			saveLead(t, s, "stalled")
			apiURL, held, release := stalledSlack(t, r)
			t.Cleanup(release)
			ticks := make(chan time.Time)
			spy := renewSpy{Store: s, renewed: make(chan error)}
			cfg := r.config("replica-1")
			cfg.Store, cfg.Lease = spy, servingLease
			cfg.Targets[0].Platform = slackbot.NewPlatform(slackbot.NewClient(botToken, "", apiURL, slacktest.ClientTimeout))
			cfg.Ticker = func(time.Duration) (<-chan time.Time, func()) { return ticks, func() {} }
			d := outbox.New(cfg)
			done := make(chan error, 1)
			go func() {
				_, err := d.RunOnce(context.Background())
				done <- err
			}()
			<-held
			for i := range 4 {
				r.clock.Advance(servingLease / 2)
				ticks <- r.clock.Now()
				if err := <-spy.renewed; err != nil {
					t.Fatalf("renewal %d of the message's lease: %v", i+1, err)
				}
				until, err := servedUntil(raw, "replica-1")
				if err != nil {
					t.Fatal(err)
				}
				if !until.After(r.clock.Now()) {
					t.Errorf("%s into one held call, the record of the replica serving Slack ended at %s: it counts as gone",
						r.clock.Now().Sub(t0), until.Sub(t0))
				}
			}
			release()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		})
	}
}

// A replica sending a batch whose posts together take longer than the
// record of the platforms it serves, none alone a third of a lease (no
// renewal of a message's lease ticks), renews that record between them.
func TestDispatchKeepsItsRecordThroughALongBatch(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			s, raw := storagetest.OpenRaw(t, dialect)
			r := newRig(t, s)
			const leads = 5
			for i := range leads {
				saveLead(t, s, fmt.Sprintf("batch-%d", i))
			}
			var mu sync.Mutex
			posts := 0
			apiURL := hookedSlack(t, r, func(method string) {
				if method != "chat.postMessage" {
					return
				}
				mu.Lock()
				defer mu.Unlock()
				posts++
				until, err := servedUntil(raw, "replica-1")
				switch {
				case err != nil:
					t.Error(err)
				case !until.After(r.clock.Now()):
					t.Errorf("at post %d, %s into the round, the record of the replica serving Slack ended at %s: it counts as gone",
						posts, r.clock.Now().Sub(t0), until.Sub(t0))
				}
				r.clock.Advance(servingLease / 2)
			})
			cfg := r.config("replica-1")
			cfg.Lease = servingLease
			cfg.Targets[0].Platform = slackbot.NewPlatform(slackbot.NewClient(botToken, "", apiURL, slacktest.ClientTimeout))
			cfg.Ticker = func(time.Duration) (<-chan time.Time, func()) { return nil, func() {} }
			if _, err := outbox.New(cfg).RunOnce(context.Background()); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if posts != leads {
				t.Fatalf("%d cards posted in the round, want %d", posts, leads)
			}
		})
	}
}

// A dispatcher's record of the platforms it serves says whether it has a
// managers' channel there, from its targets (outbox.New), for every
// replica's SLA clock (Store.ManagersChannelServed): one without a
// managers' channel on Slack counts for none, one with CMGR counts.
func TestDispatchRecordsWhetherItHasAManagersChannel(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			for _, with := range []bool{false, true} {
				s := storagetest.Open(t, dialect)
				r := newRig(t, s)
				cfg := r.config("replica-1")
				if with {
					cfg = r.managersConfig("replica-1")
				}
				if _, err := outbox.New(cfg).RunOnce(context.Background()); err != nil {
					t.Fatal(err)
				}
				served, err := s.ManagersChannelServed(context.Background(), r.clock.Now())
				if err != nil {
					t.Fatal(err)
				}
				if served != with {
					t.Errorf("a replica with a managers' channel %v recorded: a managers' channel served %v", with, served)
				}
			}
		})
	}
}
