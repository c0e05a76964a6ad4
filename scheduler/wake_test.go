package scheduler_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/handoff/handoff/internal/busy"
	"github.com/handoff/handoff/scheduler"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// tickingStore counts lease writes and reports each finished tick (Tick's
// last call is NextDecayDue).
type tickingStore struct {
	*storage.Store
	mu     sync.Mutex
	leases int
	ticks  chan struct{}
}

func (s *tickingStore) AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error) {
	s.mu.Lock()
	s.leases++
	s.mu.Unlock()
	return s.Store.AcquireLease(ctx, name, holder, now, ttl)
}

func (s *tickingStore) NextDecayDue(ctx context.Context) (time.Time, bool, error) {
	due, ok, err := s.Store.NextDecayDue(ctx)
	select {
	case s.ticks <- struct{}{}:
	case <-ctx.Done():
	}
	return due, ok, err
}

func (s *tickingStore) leaseWrites() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.leases
}

// runScheduler runs a scheduler on store until the test ends.
func runScheduler(t *testing.T, store scheduler.Store, c *clock, gate *busy.Gate) *scheduler.Scheduler {
	t.Helper()
	sch, err := scheduler.New(scheduler.Config{Store: store, Policy: policy(), Now: c.Now, Logger: quiet(), Holder: "a", Interactive: gate, Yield: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sch.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return sch
}

// Every commit that queues chat work wakes the clock; the lease is written
// once a third of its TTL has passed, not on every tick.
func TestWakeDoesNotRenewTheLease(t *testing.T) {
	s := storagetest.Open(t, storage.DialectSQLite)
	c := &clock{now: t0}
	store := &tickingStore{Store: s, ticks: make(chan struct{})}
	sch := runScheduler(t, store, c, nil)
	<-store.ticks
	for range 3 {
		sch.Wake()
		<-store.ticks
	}
	if n := store.leaseWrites(); n != 1 {
		t.Fatalf("lease written %d times in four ticks within its renewal time, want once", n)
	}
}

// While a click is being answered the clock does not tick; once it is
// answered, it does.
func TestTickWaitsForInteractive(t *testing.T) {
	s := storagetest.Open(t, storage.DialectSQLite)
	c := &clock{now: t0}
	store := &tickingStore{Store: s, ticks: make(chan struct{}, 1)}
	var gate busy.Gate
	click := gate.Enter()
	runScheduler(t, store, c, &gate)
	for gate.Waiting() == 0 && len(store.ticks) == 0 {
		time.Sleep(time.Millisecond) // the test's own timeout ends a wait that never comes
	}
	if len(store.ticks) > 0 || store.leaseWrites() > 0 {
		t.Fatal("the scheduler ticked while a click was in flight")
	}
	click()
	<-store.ticks
}
