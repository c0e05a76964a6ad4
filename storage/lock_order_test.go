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

// lockTaken reports whether another transaction holds lead id's row lock.
func lockTaken(ctx context.Context, raw *sql.DB, id int64) (bool, error) {
	return rowLockTaken(ctx, raw, "SELECT id FROM leads WHERE id = $1", id)
}

// rowLockTaken reports whether another transaction holds the row lock of
// the one row that query (a SELECT of it) reads: PostgreSQL's FOR UPDATE
// NOWAIT fails with lock_not_available (55P03).
func rowLockTaken(ctx context.Context, raw *sql.DB, query string, args ...any) (bool, error) {
	tx, err := raw.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	var n int
	err = tx.QueryRowContext(ctx, "SELECT count(*) FROM ("+query+" FOR UPDATE NOWAIT) r", args...).Scan(&n)
	if err != nil && strings.Contains(err.Error(), "55P03") {
		return true, nil
	}
	if err == nil && n != 1 {
		err = fmt.Errorf("%s read %d rows, want 1", query, n)
	}
	return false, err
}

// An erasure (of an email's leads, or of the expired ones) locks its leads
// in the order of their ids, as a batch of claims and intake do, so that
// it never waits for them in the opposite order. Lead a has the lower id
// but, updated after b was saved, lies after b in the table, so that a
// read without an order (a sequential scan, the table analysed) meets b
// first; while another transaction holds b, the erasure waiting for it
// must already hold a, which a third transaction sees as a's lock being
// taken.
func TestErasureLocksLeadsInIDOrder(t *testing.T) {
	cases := []struct {
		name  string
		erase func(ctx context.Context, s *storage.Store) (int, error)
	}{
		{"forget email", func(ctx context.Context, s *storage.Store) (int, error) {
			return s.ForgetEmail(ctx, "same@example.com", handoff.DefaultPolicy(), t0.Add(48*time.Hour))
		}},
		{"purge expired", func(ctx context.Context, s *storage.Store) (int, error) {
			return s.PurgeExpired(ctx, t0.Add(time.Hour), handoff.DefaultPolicy(), t0.Add(48*time.Hour))
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			erasureLocksInIDOrder(t, c.erase)
		})
	}
}

func erasureLocksInIDOrder(t *testing.T, erase func(ctx context.Context, s *storage.Store) (int, error)) {
	ctx := context.Background()
	s, raw := storagetest.OpenRaw(t, storage.DialectPostgres)
	ids := map[string]int64{}
	for _, ext := range []string{"a-lower", "b-higher"} {
		res, err := s.SaveLead(ctx, input(t, map[string]any{"external_id": ext, "email": "same@example.com"}), handoff.DefaultPolicy(), t0, handoff.ActorAPI)
		if err != nil {
			t.Fatal(err)
		}
		ids[ext] = res.Lead.ID
	}
	a, b := ids["a-lower"], ids["b-higher"]
	if a > b {
		t.Fatalf("ids a %d, b %d: want a lower", a, b)
	}
	// a's new version goes after b's; analysed, the table of one page is
	// read by a sequential scan.
	for _, q := range []string{"UPDATE leads SET title = 'CFO' WHERE id = " + fmt.Sprint(a), "ANALYZE leads"} {
		if _, err := raw.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if got := lockedWithoutOrder(t, raw, a, b); got[0] != b {
		t.Fatalf("a lock without an order takes %v: want b (%d) first, or the test cannot tell the orders apart", got, b)
	}

	hold, err := raw.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Rollback()
	var holder int
	if err := hold.QueryRowContext(ctx, "SELECT pg_backend_pid() FROM leads WHERE id = $1 FOR UPDATE", b).Scan(&holder); err != nil {
		t.Fatal(err)
	}

	erased := make(chan error, 1)
	go func() {
		n, err := erase(ctx, s)
		if err == nil && n != 2 {
			err = fmt.Errorf("erased %d of 2 leads", n)
		}
		erased <- err
	}()

	waitBlockedBy(t, raw, holder, erased, "b, which another transaction holds")
	locked, err := lockTaken(ctx, raw, a)
	if err != nil {
		t.Fatal(err)
	}
	if !locked {
		t.Error("the erasure waiting for b does not hold a, the lower id: it locks in another order than claims and intake")
	}
	if err := hold.Rollback(); err != nil {
		t.Fatal(err)
	}
	if err := <-erased; err != nil {
		t.Fatalf("erasure after the lock was released: %v", err)
	}
}

// lockedWithoutOrder returns the ids of leads ids in the order a lock of
// them without an order (as an erasure's, in a transaction rolled back)
// takes them.
func lockedWithoutOrder(t *testing.T, raw *sql.DB, ids ...int64) []int64 {
	t.Helper()
	tx, err := raw.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	rows, err := tx.Query("SELECT id FROM leads WHERE id = ANY($1::bigint[]) FOR UPDATE", ids)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		got = append(got, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(ids) {
		t.Fatalf("locked %v of %v", got, ids)
	}
	return got
}
