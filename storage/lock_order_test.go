package storage_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// Intake that updates known leads locks them in the order of their ids, as
// a batch of claims does, so that the two never wait for each other in
// opposite orders (a deadlock PostgreSQL would break only after
// deadlock_timeout, failing one side). Lead a has the lower id and the
// later external id; while another transaction holds b, the intake saving
// both must already hold a (it locks a, then waits for b), which a third
// transaction sees as a's lock being taken. With more than 500 external
// ids the known leads are read in parts and then locked together.
func TestIntakeLocksKnownLeadsInIDOrder(t *testing.T) {
	for _, newLeads := range []int{0, 600} {
		t.Run(fmt.Sprintf("with %d new leads", newLeads), func(t *testing.T) {
			intakeLocksInIDOrder(t, newLeads)
		})
	}
}

func intakeLocksInIDOrder(t *testing.T, newLeads int) {
	ctx := context.Background()
	s, raw := storagetest.OpenRaw(t, storage.DialectPostgres)
	ids := map[string]int64{}
	for _, ext := range []string{"z-first", "a-second"} {
		res, err := s.SaveLead(ctx, input(t, map[string]any{"external_id": ext}), handoff.DefaultPolicy(), t0, handoff.ActorAPI)
		if err != nil {
			t.Fatal(err)
		}
		ids[ext] = res.Lead.ID
	}
	if ids["z-first"] > ids["a-second"] {
		t.Fatalf("ids %v: want z-first saved first", ids)
	}

	hold, err := raw.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Rollback()
	if _, err := hold.ExecContext(ctx, "SELECT id FROM leads WHERE id = $1 FOR UPDATE", ids["a-second"]); err != nil {
		t.Fatal(err)
	}

	saved := make(chan error, 1)
	go func() {
		// a-second first and z-first last: with the new leads between them
		// they fall in different parts of the read.
		ins := []handoff.LeadInput{input(t, map[string]any{"external_id": "a-second", "title": "CFO"})}
		for i := range newLeads {
			ins = append(ins, input(t, map[string]any{"external_id": fmt.Sprintf("m-new-%d", i)}))
		}
		ins = append(ins, input(t, map[string]any{"external_id": "z-first", "title": "CTO"}))
		_, errs, err := s.SaveLeads(ctx, ins, handoff.DefaultPolicy(), t0.Add(time.Minute), handoff.ActorAPI)
		saved <- errors.Join(append(errs, err)...)
	}()

	// Poll a's lock without waiting for it; the bound only ends a failing test.
	deadline := time.Now().Add(30 * time.Second)
	for {
		locked, err := lockTaken(ctx, raw, ids["z-first"])
		if err != nil {
			t.Fatal(err)
		}
		if locked {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the intake waiting for a-second does not hold z-first, the lower id: it locks in another order than claims")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := hold.Rollback(); err != nil {
		t.Fatal(err)
	}
	if err := <-saved; err != nil {
		t.Fatalf("save after the lock was released: %v", err)
	}
}

// lockTaken reports whether another transaction holds lead id's row lock:
// PostgreSQL's FOR UPDATE NOWAIT fails with lock_not_available (55P03).
func lockTaken(ctx context.Context, raw *sql.DB, id int64) (bool, error) {
	tx, err := raw.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	_, err = tx.ExecContext(ctx, "SELECT id FROM leads WHERE id = $1 FOR UPDATE NOWAIT", id)
	if err != nil && strings.Contains(err.Error(), "55P03") {
		return true, nil
	}
	return false, err
}
