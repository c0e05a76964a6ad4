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

// TestLeftManagersWorkTakenAsTheRecordRunsOut: a Slack replica without a
// managers' channel leaves an escalation to the replica serving Slack
// with one, which then dies. The escalation was taken, to be skipped, at
// the first replica's next round once the dead one's record had run out:
// its wait did not know when the record ended and slept Idle (30 s). It
// now wakes as the record runs out (with two such replicas, as each
// does), and takes the escalation then.
func TestLeftManagersWorkTakenAsTheRecordRunsOut(t *testing.T) {
	cases := []struct {
		name     string
		platform string // the escalation's
		second   bool   // a second replica with a managers' channel, started 20 s after the first, dies too
	}{
		{name: "for every platform"},
		{name: "for Slack", platform: slackbot.Name},
		{name: "two replicas with one", second: true},
	}
	for _, dialect := range storagetest.Dialects {
		for _, c := range cases {
			t.Run(dialect+"/"+c.name, func(t *testing.T) {
				ctx := context.Background()
				u := storagetest.URL(t, dialect)
				r := newRig(t, storagetest.OpenURL(t, u, storage.Options{}))
				with := func(worker string) *outbox.Dispatcher {
					cfg := r.managersConfig(worker)
					cfg.Store = storagetest.OpenURL(t, u, storage.Options{})
					d := outbox.New(cfg)
					if _, err := d.RunOnce(ctx); err != nil { // it starts: its record runs a lease (a minute)
						t.Fatal(err)
					}
					return d
				}
				without := outbox.New(r.config("without-managers"))
				first := with("with-managers")
				ends := []time.Time{r.clock.Now().Add(time.Minute)}
				l := saveLead(t, r.store, "left-"+c.name)
				drain(t, first) // its card
				if c.second {
					r.clock.Advance(20 * time.Second)
					with("with-managers-too")
					ends = append(ends, r.clock.Now().Add(time.Minute))
				}
				// The replicas with one die: none of them runs again.
				r.escalate(t, l.ID, c.platform)
				if n, err := without.RunOnce(ctx); err != nil || n != 0 {
					t.Fatalf("the replica without a managers' channel took %d (%v), want the escalation left", n, err)
				}
				for i, end := range ends {
					r.clock.Advance(end.Sub(r.clock.Now()) - 10*time.Second)
					if wait := without.UntilNextDue(ctx); wait != 10*time.Second {
						t.Fatalf("the replica without a managers' channel sleeps %v, want the 10 s until record %d runs out", wait, i)
					}
					r.clock.Advance(10 * time.Second)
					n, err := without.RunOnce(ctx)
					if err != nil {
						t.Fatal(err)
					}
					if want := map[bool]int{true: 1}[i == len(ends)-1]; n != want {
						t.Errorf("as record %d runs out, the replica without a managers' channel took %d, want %d", i, n, want)
					}
				}
				r.escalationsPosted(t, 0) // skipped: no managers' channel
			})
		}
	}
}
