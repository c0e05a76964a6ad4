package scheduler_test

import (
	"context"
	"testing"
	"time"

	"github.com/handoff/handoff/metrics"
	"github.com/handoff/handoff/scheduler"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// leaseStore reports each answer to the scheduler's taking or renewing
// of its lease.
type leaseStore struct {
	*tickingStore
	tries chan bool
}

func (s leaseStore) AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error) {
	ok, err := s.tickingStore.AcquireLease(ctx, name, holder, now, ttl)
	select {
	case s.tries <- ok:
	case <-ctx.Done():
	}
	return ok, err
}

// TestLeaseMetrics: two replicas' schedulers on one database, each with
// its own metrics. handoff_scheduler_lease_held is 1 on the holder alone,
// and 0 on it once it stops; each taking of the lease counts in
// handoff_scheduler_lease_taken_total. The alerts HandoffSLALeaseUnheld
// (no replica holds it) and HandoffSLALeaseFlapping (it changes hands too
// often) read them.
func TestLeaseMetrics(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			u := storagetest.URL(t, dialect)
			c := &clock{now: t0}
			a := &tickingStore{Store: storagetest.OpenURL(t, u, storage.Options{}), ticks: make(chan struct{})}
			b := leaseStore{&tickingStore{Store: storagetest.OpenURL(t, u, storage.Options{}), ticks: make(chan struct{})}, make(chan bool)}
			ma, mb := metrics.New(nil), metrics.New(nil)
			run := func(store scheduler.Store, holder string, m *metrics.Metrics) (*scheduler.Scheduler, context.CancelFunc, chan error) {
				sch, err := scheduler.New(scheduler.Config{Store: store, Policy: policy(), Now: c.Now, Logger: quiet(), Holder: holder, Metrics: m})
				if err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan error, 1)
				go func() { done <- sch.Run(ctx) }()
				return sch, cancel, done
			}
			check := func(step, replica string, m *metrics.Metrics, held, taken float64) {
				t.Helper()
				if got := sample(t, m, "handoff_scheduler_lease_held"); got != held {
					t.Errorf("%s: replica %s's handoff_scheduler_lease_held = %v, want %v", step, replica, got, held)
				}
				if got := sample(t, m, "handoff_scheduler_lease_taken_total"); got != taken {
					t.Errorf("%s: replica %s's handoff_scheduler_lease_taken_total = %v, want %v", step, replica, got, taken)
				}
			}

			_, stopA, doneA := run(a, "a", ma)
			<-a.ticks // a took the free lease and ticked
			check("a started", "a", ma, 1, 1)
			schB, stopB, doneB := run(b, "b", mb)
			defer func() { stopB(); <-doneB }()
			if <-b.tries {
				t.Fatal("b took the lease a holds")
			}
			check("b started", "b", mb, 0, 0)
			stopA()
			<-doneA // a released the lease
			check("a stopped", "a", ma, 0, 1)
			schB.Wake()
			for !<-b.tries { // a refusal b met before a released the lease
			}
			<-b.ticks
			check("b took over", "b", mb, 1, 1)
		})
	}
}
