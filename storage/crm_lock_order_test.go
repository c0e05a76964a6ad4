package storage_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// crmRecord is the CRM record these tests save: its source and id.
const crmSource, crmRecord = "salesforce", "00Q5e000001LockX"

// A CRM's versioned save and an erasure of the same lead both lock the
// record's crm_versions row before the lead (SaveLeadVersion checks the
// version, then saves the lead; an erasure renames the row), so that
// neither waits for the other in the opposite order (a deadlock PostgreSQL
// breaks only after deadlock_timeout, failing one side). While another
// transaction holds the lead, each must already hold the record's row,
// which a third transaction sees as the row's lock being taken.
func TestCRMVersionLockedBeforeLead(t *testing.T) {
	cases := []struct {
		name string
		run  func(ctx context.Context, s *storage.Store) error
	}{
		{"CRM save", func(ctx context.Context, s *storage.Store) error {
			_, stale, err := s.SaveLeadVersion(ctx, input(t, map[string]any{"external_id": crmRecord, "title": "CFO"}),
				handoff.DefaultPolicy(), t0.Add(time.Minute), handoff.ActorAPI, crmSource, handoff.CRMVersion{Modified: t0.Add(time.Minute)})
			if err == nil && stale {
				err = fmt.Errorf("a newer version was stale")
			}
			return err
		}},
		{"erasure", func(ctx context.Context, s *storage.Store) error {
			return s.ForgetLead(ctx, crmRecord, handoff.DefaultPolicy(), t0.Add(time.Hour))
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			s, raw := storagetest.OpenRaw(t, storage.DialectPostgres)
			id := saveCRMLead(t, s, "ann@example.com")

			hold, holder := holdLead(t, raw, id)
			ended := make(chan error, 1)
			go func() { ended <- c.run(ctx, s) }()
			waitBlockedBy(t, raw, holder, ended, "the lead, which another transaction holds")
			locked, err := crmVersionLockTaken(ctx, raw)
			if err != nil {
				t.Fatal(err)
			}
			if !locked {
				t.Errorf("waiting for the lead, the %s does not hold the CRM record's crm_versions row: it locks them in the opposite order", c.name)
			}
			if err := hold.Rollback(); err != nil {
				t.Fatal(err)
			}
			if err := <-ended; err != nil {
				t.Fatalf("%s after the lock was released: %v", c.name, err)
			}
		})
	}
}

// A CRM save of a lead that an erasure is erasing waits for it and then
// saves the record as it would after the erasure: a newer version is a
// new lead. The erasure (of an email's two leads) holds the CRM lead and
// waits for the other, which another transaction holds, while the CRM save
// starts; then the other is released. Locking the lead before the record's
// row, the erasure would wait for the CRM save, which waits for the lead.
func TestCRMSaveDuringErasureOfItsLead(t *testing.T) {
	ctx := context.Background()
	s, raw := storagetest.OpenRaw(t, storage.DialectPostgres)
	crmLead := saveCRMLead(t, s, "same@example.com")
	other, err := s.SaveLead(ctx, input(t, map[string]any{"external_id": "b-other", "email": "same@example.com"}), handoff.DefaultPolicy(), t0, handoff.ActorAPI)
	if err != nil {
		t.Fatal(err)
	}
	if other.Lead.ID < crmLead {
		t.Fatalf("ids: CRM lead %d, other %d: want the CRM lead lower, locked first", crmLead, other.Lead.ID)
	}

	hold, holder := holdLead(t, raw, other.Lead.ID)
	erased := make(chan error, 1)
	go func() {
		n, err := s.ForgetEmail(ctx, "same@example.com", handoff.DefaultPolicy(), t0.Add(time.Hour))
		if err == nil && n != 2 {
			err = fmt.Errorf("erased %d of 2 leads", n)
		}
		erased <- err
	}()
	eraser := waitBlockedBy(t, raw, holder, erased, "the other lead, which another transaction holds")

	save := saveVersionAsync(t, s, map[string]any{"external_id": crmRecord, "email": "new@example.com"}, t0.Add(2*time.Hour))
	waitBlockedBy(t, raw, eraser, save, "the erasure of its lead")

	if err := hold.Rollback(); err != nil {
		t.Fatal(err)
	}
	if err := <-erased; err != nil {
		t.Fatalf("erasure: %v", err)
	}
	got := <-save
	if got.err != nil {
		t.Fatalf("CRM save during the erasure: %v", got.err)
	}
	if got.stale || !got.res.Created || got.res.Lead.ID == crmLead {
		t.Fatalf("CRM save of a newer version during the erasure: created %v, stale %v; want a new lead", got.res.Created, got.stale)
	}
}

// versionSave is what a SaveLeadVersion returned.
type versionSave struct {
	res   handoff.SaveResult
	stale bool
	err   error
}

// saveVersionAsync saves the input raw as crmSource's version at, with
// SaveLeadVersion on a goroutine of its own, and returns where its outcome
// goes.
func saveVersionAsync(t *testing.T, s *storage.Store, raw map[string]any, at time.Time) <-chan versionSave {
	in := input(t, raw)
	done := make(chan versionSave, 1)
	go func() {
		var v versionSave
		v.res, v.stale, v.err = s.SaveLeadVersion(context.Background(), in, handoff.DefaultPolicy(), at, handoff.ActorAPI, crmSource, handoff.CRMVersion{Modified: at})
		done <- v
	}()
	return done
}

// saveCRMLead saves crmRecord from crmSource as a new lead with email and
// returns its id.
func saveCRMLead(t *testing.T, s *storage.Store, email string) int64 {
	t.Helper()
	res, stale, err := s.SaveLeadVersion(context.Background(), input(t, map[string]any{"external_id": crmRecord, "email": email}),
		handoff.DefaultPolicy(), t0, handoff.ActorAPI, crmSource, handoff.CRMVersion{Modified: t0})
	if err != nil || stale || !res.Created {
		t.Fatalf("save CRM lead: created %v, stale %v, %v", res.Created, stale, err)
	}
	return res.Lead.ID
}

// holdLead locks lead id in a transaction of its own, rolled back when the
// test ends, and returns it and its backend's pid.
func holdLead(t *testing.T, raw *sql.DB, id int64) (*sql.Tx, int) {
	t.Helper()
	hold, err := raw.Begin()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = hold.Rollback() })
	var pid int
	if err := hold.QueryRow("SELECT pg_backend_pid() FROM leads WHERE id = $1 FOR UPDATE", id).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	return hold, pid
}

// waitBlockedBy polls pg_locks until a backend waits for a lock that
// backend holder holds, and returns its pid. It fails the test when ended
// reports first (the waiting side ended without waiting) or after a bound
// that only ends a failing test.
func waitBlockedBy[T any](t *testing.T, raw *sql.DB, holder int, ended <-chan T, what string) int {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var pid int
		err := raw.QueryRow("SELECT pid FROM pg_locks WHERE NOT granted AND $1 = ANY(pg_blocking_pids(pid)) LIMIT 1", holder).Scan(&pid)
		if err == nil {
			return pid
		}
		if err != sql.ErrNoRows {
			t.Fatal(err)
		}
		select {
		case got := <-ended:
			t.Fatalf("ended without waiting for %s: %+v", what, got)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing waits for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// crmVersionLockTaken reports whether another transaction holds the row
// lock of crmRecord's crm_versions row.
func crmVersionLockTaken(ctx context.Context, raw *sql.DB) (bool, error) {
	return rowLockTaken(ctx, raw, "SELECT id FROM crm_versions WHERE source = $1 AND external_id = $2", crmSource, crmRecord)
}
