package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// erasure is one way of erasing crmRecord's lead; it returns how many
// leads it erased (ForgetLead's ENOTFOUND is none).
type erasure struct {
	name string
	run  func(ctx context.Context, s *storage.Store) (int, error)
}

var (
	forgetRecord = erasure{"ForgetLead", func(ctx context.Context, s *storage.Store) (int, error) {
		err := s.ForgetLead(ctx, crmRecord, handoff.DefaultPolicy(), t0.Add(2*time.Hour))
		if handoff.ErrorCode(err) == handoff.ENOTFOUND {
			return 0, nil
		}
		if err != nil {
			return 0, err
		}
		return 1, nil
	}}
	forgetEmail = erasure{"ForgetEmail", func(ctx context.Context, s *storage.Store) (int, error) {
		return s.ForgetEmail(ctx, "ann@example.com", handoff.DefaultPolicy(), t0.Add(2*time.Hour))
	}}
	purge = erasure{"PurgeExpired", func(ctx context.Context, s *storage.Store) (int, error) {
		return s.PurgeExpired(ctx, t0.Add(time.Hour), handoff.DefaultPolicy(), t0.Add(2*time.Hour))
	}}
)

// Two erasures of the same lead at once on PostgreSQL (retention's purge
// and a DELETE, say) both choose it before either commits; the second
// waits for the first (which waits for the lead, held by a third
// transaction) and then finds the lead erased: it must leave it as the
// first erased it, keyed by the hash of its original id (so GET finds the
// erased view, and a CRM's replay of the record stays stale), and count
// nothing.
func TestConcurrentErasuresEraseOnce(t *testing.T) {
	for _, c := range [][2]erasure{{forgetRecord, purge}, {purge, forgetRecord}, {forgetEmail, forgetRecord}} {
		t.Run(c[0].name+" then "+c[1].name, func(t *testing.T) {
			ctx := context.Background()
			s, raw := storagetest.OpenRaw(t, storage.DialectPostgres)
			id := saveCRMLead(t, s, "ann@example.com")

			type result struct {
				n   int
				err error
			}
			start := func(e erasure) <-chan result {
				ch := make(chan result, 1)
				go func() {
					n, err := e.run(ctx, s)
					ch <- result{n, err}
				}()
				return ch
			}
			hold, holder := holdLead(t, raw, id)
			first := start(c[0])
			firstPid := waitBlockedBy(t, raw, holder, first, "the lead, which another transaction holds")
			second := start(c[1])
			waitBlockedBy(t, raw, firstPid, second, "the first erasure")
			if err := hold.Rollback(); err != nil {
				t.Fatal(err)
			}
			a, b := <-first, <-second
			if a.err != nil || b.err != nil {
				t.Fatalf("erasures: %s %v, %s %v", c[0].name, a.err, c[1].name, b.err)
			}
			if a.n != 1 || b.n != 0 {
				t.Errorf("erased: %s %d, %s %d; want 1 and 0", c[0].name, a.n, c[1].name, b.n)
			}
			checkErasedOnce(t, s, id)
		})
	}
}

// An erasure that chose a lead another erasure has erased since (on
// SQLite, whose writer runs one transaction at a time, the second runs
// after the first committed) leaves it as it is and counts nothing; so does
// a DELETE by the erased lead's anonymous id.
func TestErasureOfErasedLead(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		id := saveCRMLead(t, s, "ann@example.com")
		for i, want := range []int{1, 0} {
			n, err := s.ForgetIDs(ctx, []int64{id}, handoff.DefaultPolicy(), t0.Add(time.Duration(i+2)*time.Hour))
			if err != nil || n != want {
				t.Errorf("erasure %d: erased %d, %v; want %d", i+1, n, err, want)
			}
		}
		lead, err := s.Lead(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.ForgetLead(ctx, lead.ExternalID, handoff.DefaultPolicy(), t0.Add(4*time.Hour)); handoff.ErrorCode(err) != handoff.ENOTFOUND {
			t.Fatalf("erasure by the anonymous id %q: %v, want ENOTFOUND", lead.ExternalID, err)
		}
		if n, err := s.PurgeExpired(ctx, t0.Add(5*time.Hour), handoff.DefaultPolicy(), t0.Add(5*time.Hour)); err != nil || n != 0 {
			t.Fatalf("purge after erasure: erased %d, %v; want 0", n, err)
		}
		checkErasedOnce(t, s, id)
	})
}

// checkErasedOnce checks that lead id (crmRecord's) was erased once: GET's
// erased view finds it by its original id (its erased_key is the keyed
// hash of that id, not of its anonymous one), a replay of the CRM's
// version is refused as stale, and it has one erased event.
func checkErasedOnce(t *testing.T, s *storage.Store, id int64) {
	t.Helper()
	ctx := context.Background()
	erased, err := s.ErasedLeadByExternalID(ctx, crmRecord)
	if err != nil || erased.ID != id {
		t.Errorf("erased view by the original id: %+v, %v; want lead %d (its erased key was overwritten)", erased, err, id)
	}
	res, stale, err := s.SaveLeadVersion(ctx, input(t, map[string]any{"external_id": crmRecord, "email": "ann@example.com"}),
		handoff.DefaultPolicy(), t0.Add(6*time.Hour), handoff.ActorAPI, crmSource, handoff.CRMVersion{Modified: t0})
	if err != nil || !stale || res.Lead != nil {
		t.Errorf("replay of the erased record's version: stale %v, lead %+v, %v; want stale", stale, res.Lead, err)
	}
	events, err := s.Events(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range events {
		if e.Kind == handoff.EventErased {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d erased events, want 1", n)
	}
}
