package scheduler_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/scheduler"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestLostLeaseSendsNothingTwice: a replica that lost the scheduler's
// lease ticks on for up to a renewal period (5 s) before it finds out,
// alongside the replica that took the lease over. Two schedulers, each on
// a store of its own on one database, tick at the same moments over many
// due leads: every reminder and escalation is queued once, and the digest
// once, because each is queued in the transaction that marks it fired, on
// the lead's row locked (FireSLA) or the schedule's row updated only from
// an earlier run (FireSchedule); the lease is not what keeps them single.
func TestLostLeaseSendsNothingTwice(t *testing.T) {
	const leads = 120
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			u := storagetest.URL(t, dialect)
			stores := []*storage.Store{storagetest.OpenURL(t, u, storage.Options{}), storagetest.OpenURL(t, u, storage.Options{})}
			p := policy()
			var ids []int64
			claimed := map[int64]bool{}
			for i := range leads {
				l := saveSQL(t, stores[0], fmt.Sprintf("lost-%d", i), t0)
				ids = append(ids, l.ID)
				if i%2 == 0 {
					if _, won, err := stores[0].ClaimLead(ctx, l.ID, handoff.Owner{Platform: "slack", UserID: "UREP"}, t0.Add(10*time.Minute), handoff.Policy{}, "slack:UREP"); err != nil || !won {
						t.Fatalf("claim %d: %v %v", l.ID, won, err)
					}
					claimed[l.ID] = true
				}
			}
			due := p.ContactDue(t0)
			c := &clock{}
			// The claim deadline and the last reminder have passed; then
			// the contact deadline, and the digest's Monday 08:00.
			for _, at := range []time.Time{due.Add(-30 * time.Minute), due.Add(time.Minute), nextDigest().Add(time.Minute)} {
				c.now = at
				var wg sync.WaitGroup
				errs := make([]error, len(stores))
				start := make(chan struct{})
				for i, s := range stores {
					sch, err := scheduler.New(scheduler.Config{Store: s, Policy: p, Now: c.Now, Logger: quiet(), Holder: fmt.Sprint("replica-", i)})
					if err != nil {
						t.Fatal(err)
					}
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						_, errs[i] = sch.Tick(ctx)
					}()
				}
				close(start)
				wg.Wait()
				for _, err := range errs {
					if err != nil {
						t.Fatalf("tick at %s: %v", at, err)
					}
				}
			}
			for _, id := range ids {
				want := "[sla.escalate:escalate_claim sla.escalate:escalate_contact]"
				if claimed[id] {
					want = "[sla.remind:remind sla.escalate:escalate_contact]"
				}
				if got := fmt.Sprint(slaOutbox(t, stores[0], id)); got != want {
					t.Errorf("lead %d (claimed %v): %s, want %s", id, claimed[id], got, want)
				}
			}
			digests, err := stores[0].OutboxMessages(ctx, 0)
			if err != nil {
				t.Fatal(err)
			}
			if n := countKind(digests, handoff.OutboxDigest); n != 1 {
				t.Errorf("%d digests queued, want 1", n)
			}
		})
	}
}
