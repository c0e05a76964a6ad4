package scheduler_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/internal/busy"
	"github.com/handoff/handoff/scheduler"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// firingStore counts the batches of SLA timers fired.
type firingStore struct {
	*storage.Store
	mu      sync.Mutex
	batches int
}

func (s *firingStore) FireSLA(ctx context.Context, now time.Time, p handoff.Policy, limit int, unsent ...string) ([]handoff.SLAAction, []handoff.Parked, error) {
	s.mu.Lock()
	s.batches++
	s.mu.Unlock()
	return s.Store.FireSLA(ctx, now, p, limit, unsent...)
}

func (s *firingStore) fired() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.batches
}

// A tick with more SLA timers due than a batch (an import of overdue
// SQLs) waits between batches while a click is in flight, as the outbox
// does between messages, so that the click does not queue behind the
// escalations' writes; once the click is answered the tick goes on.
func TestSLABatchesYieldToInteractive(t *testing.T) {
	s := storagetest.Open(t, storage.DialectSQLite)
	ctx := context.Background()
	p := policy()
	ins := make([]handoff.LeadInput, 250) // more than a batch of 200
	for i := range ins {
		ins[i] = handoff.LeadInput{ExternalID: fmt.Sprint("yield-", i), Email: fmt.Sprintf("y%d@x.dk", i), Stage: handoff.StageSQL}
	}
	if _, errs, err := s.SaveLeads(ctx, ins, p, t0, handoff.ActorAPI); err != nil {
		t.Fatal(err)
	} else {
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	store := &firingStore{Store: s}
	var gate busy.Gate
	c := &clock{now: p.ContactDue(t0).Add(time.Minute)}
	sch, err := scheduler.New(scheduler.Config{Store: store, Policy: p, Now: c.Now, Logger: quiet(), Holder: "a", Interactive: &gate, Yield: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	click := gate.Enter()
	done := make(chan error, 1)
	go func() {
		_, err := sch.Tick(ctx)
		done <- err
	}()
	for gate.Waiting() == 0 && len(done) == 0 {
		time.Sleep(time.Millisecond) // the test's own timeout ends a wait that never comes
	}
	if len(done) > 0 || store.fired() != 1 {
		t.Fatalf("with a click in flight the tick fired %d batches (finished: %v), want the first, then a wait", store.fired(), len(done) > 0)
	}
	click()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := store.fired(); n != 2 {
		t.Fatalf("%d batches fired, want 2 once the click was answered", n)
	}
	if again, _, err := s.FireSLA(ctx, c.now, p, 500); err != nil || len(again) > 0 {
		t.Fatalf("left due after the tick: %d actions, %v", len(again), err)
	}
}

// A tick with no SLA timer due (most ticks: the lease's renewal every
// 5 s, a wake by a commit) reads the next due time and fires no batch: no
// write transaction, no read of due leads. One due is fired at the next
// tick as before.
func TestIdleTickFiresNoBatch(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		store := &firingStore{Store: s}
		c := &clock{now: t0}
		sch, err := scheduler.New(scheduler.Config{Store: store, Policy: policy(), Now: c.Now, Logger: quiet(), Holder: "a"})
		if err != nil {
			t.Fatal(err)
		}
		lead := saveSQL(t, s, "idle", t0)
		c.now = t0.Add(time.Minute)
		if _, err := sch.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		if n := store.fired(); n != 0 {
			t.Fatalf("a tick with nothing due fired %d batches, want none", n)
		}
		c.now = policy().ClaimDue(t0).Add(time.Second)
		if _, err := sch.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		if got := slaOutbox(t, s, lead.ID); len(got) != 1 || store.fired() != 1 {
			t.Fatalf("past the claim deadline: %v queued in %d batches, want the claim's escalation in one", got, store.fired())
		}
	})
}
