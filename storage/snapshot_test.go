package storage_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// A median from the histogram of the waits reads the histogram and then
// the middle bucket's waits; both reads see one snapshot, so a claim
// committed between them does not change the answer. November's claims
// waited 1,800, 3,600 and 10,800 s; the claim of K after 3,599 s falls in
// the middle bucket below 3,600 s, so a bucket read after it would answer
// 3,599 s where the histogram counted three waits.
func TestRolledUpMedianReadsOneSnapshot(t *testing.T) {
	for _, dialect := range []string{storage.DialectSQLite, storage.DialectPostgres} {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			s, raw := storagetest.OpenRaw(t, dialect)
			buildFunnelLog(t, s)
			p, err := handoff.ParsePeriod("2026-11", funnelNow, copenhagen(t))
			if err != nil {
				t.Fatal(err)
			}
			f := handoff.FunnelFilter{Period: p, Now: funnelNow}
			before, err := s.FunnelCounts(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			if before.MedianClaimMs == nil {
				t.Fatal("no median time to claim in November")
			}
			var k int64
			if err := raw.QueryRowContext(ctx, "SELECT id FROM leads WHERE external_id = 'K'").Scan(&k); err != nil {
				t.Fatal(err)
			}
			claimed := false
			s.SetBetweenMedianReads(func(ctx context.Context, kind string) {
				if kind != "claim" || claimed {
					return
				}
				claimed = true
				owner := handoff.Owner{Platform: "slack", UserID: "U9"}
				if _, won, err := s.ClaimLead(ctx, k, owner, utc(t, "2026-11-20T09:29:59Z"), handoff.Policy{}, "slack:U9"); err != nil || !won {
					t.Errorf("claim K: won %v, %v", won, err)
				}
			})
			during, err := s.FunnelCounts(ctx, f)
			if err != nil {
				t.Fatalf("funnel with a claim between the median's reads: %v", err)
			}
			if !claimed {
				t.Fatal("the median did not read from the histogram")
			}
			if during.MedianClaimMs == nil || *during.MedianClaimMs != *before.MedianClaimMs {
				t.Fatalf("median time to claim = %v, want %v as the snapshot had it", fmtMs(during.MedianClaimMs), *before.MedianClaimMs)
			}
		})
	}
}

func fmtMs(m *float64) any {
	if m == nil {
		return "none"
	}
	return *m
}

// The routing measure reads its counts and then each rep's median
// offer-to-accept from the bucket that holds it, on one snapshot too: Ann
// accepted one offer after 180 s; an accept after 179 s (the same delay
// bucket) committed between the reads would otherwise be read as her
// median.
func TestRoutingStatsReadOneSnapshot(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
		annOnly := handoff.RouteRequest{Routing: handoff.Routing{Mode: handoff.RouteRoundRobin, OfferFor: 15 * time.Minute, OfferRounds: 2,
			Reps: []handoff.Rep{{Ref: repAnn, Weight: 1}}}}
		accept := func(ctx context.Context, ext string, when time.Time, after time.Duration) {
			lead := saveSQL(t, s, ext, "Acme "+ext, when)
			if _, _, ok, err := s.RouteLead(ctx, lead.ID, annOnly, when); err != nil || !ok {
				t.Fatalf("route %s: stepped %v, %v", ext, ok, err)
			}
			owner := handoff.Owner{Platform: repAnn.Platform, UserID: repAnn.ID}
			if _, won, err := s.ClaimLead(ctx, lead.ID, owner, when.Add(after), handoff.Policy{}, repAnn.Key()); err != nil || !won {
				t.Fatalf("claim %s: won %v, %v", ext, won, err)
			}
		}
		accept(ctx, "r-1", at, 180*time.Second)
		accepted := false
		s.SetBetweenMedianReads(func(ctx context.Context, kind string) {
			if kind == "routing" && !accepted {
				accepted = true
				accept(ctx, "r-2", at.Add(time.Hour), 179*time.Second)
			}
		})
		from := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) // a whole day and two partial ones
		got, err := s.RoutingStats(ctx, from, from.Add(48*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if !accepted {
			t.Fatal("the routing measure did not read its medians")
		}
		if len(got.PerRep) != 1 || got.PerRep[0].Accepted != 1 || got.PerRep[0].MedianOfferToAccept != 180*time.Second {
			t.Fatalf("per rep = %+v, want Ann's one accept after 180 s, as the snapshot had it", got.PerRep)
		}
	})
}

// A snapshot whose end failed does not give its connection back to the
// pool, where it could still be inside the transaction: SQLite refuses the
// ROLLBACK (an authorizer, the transaction stays open); on PostgreSQL the
// read's context is cancelled inside the snapshot, so the rollback fails.
// With one connection in the pool, a lead saved afterwards must be read
// (not hidden by the old snapshot) and the next snapshot must begin.
func TestSnapshotEndFailedDropsConnection(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			s := storagetest.OpenWith(t, dialect, storage.Options{MaxConns: 1})
			at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
			from, to := at.Add(-24*time.Hour), at.Add(24*time.Hour)
			readCtx, cancel := context.WithCancel(ctx)
			defer cancel()
			if dialect == storage.DialectSQLite {
				if err := s.DenyReaderRollback(ctx); err != nil {
					t.Fatal(err)
				}
			} else {
				s.OnRead(func(context.Context, string, []any) { cancel() }) // inside the snapshot, before its first read
			}
			// On PostgreSQL the commit answers the cancel with
			// context.Canceled, or with sql.ErrTxDone when database/sql's
			// own goroutine watching the context rolled back first.
			_, err := s.RoutingStats(readCtx, from, to)
			if dialect == storage.DialectSQLite && (err == nil || !strings.Contains(err.Error(), "end a read")) ||
				dialect == storage.DialectPostgres && !errors.Is(err, context.Canceled) && !errors.Is(err, sql.ErrTxDone) {
				t.Fatalf("the snapshot's end did not fail: %v", err)
			}
			s.OnRead(nil)
			checkFreshAfterFailedSnapshot(t, s, at)
		})
	}
}

// A snapshot whose BEGIN failed does not give its connection back to the
// pool either. The pool's one reader connection is left inside a
// transaction whose snapshot predates the lead saved afterwards. On SQLite the
// snapshot's BEGIN then fails (a transaction within a transaction), and
// the connection, still on the old snapshot, must be dropped; on
// PostgreSQL pgx discards a connection inside a transaction before it is
// reused, so the snapshot begins on a new one. Either way the lead must be
// read afterwards and the next snapshot must begin.
func TestSnapshotBeginFailedDropsConnection(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			s := storagetest.OpenWith(t, dialect, storage.Options{MaxConns: 1})
			at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
			if err := s.LeaveReaderInTransaction(ctx); err != nil {
				t.Fatal(err)
			}
			_, err := s.RoutingStats(ctx, at.Add(-24*time.Hour), at.Add(24*time.Hour))
			if dialect == storage.DialectSQLite && (err == nil || !strings.Contains(err.Error(), "begin a read")) ||
				dialect == storage.DialectPostgres && err != nil {
				t.Fatalf("the snapshot on a connection inside a transaction: %v", err)
			}
			checkFreshAfterFailedSnapshot(t, s, at)
		})
	}
}

// checkFreshAfterFailedSnapshot saves a lead at at and fails t unless the
// pool reads it and the next snapshot begins: the failed snapshot's
// connection, still on its old snapshot, was not given back to the pool.
func checkFreshAfterFailedSnapshot(t *testing.T, s *storage.Store, at time.Time) {
	t.Helper()
	ctx := context.Background()
	lead := saveSQL(t, s, "after", "Acme", at)
	got, err := s.Lead(ctx, lead.ID)
	if err != nil || got == nil {
		t.Fatalf("a lead saved after the failed snapshot: %v, %v; the connection went back to the pool inside the old snapshot", got, err)
	}
	if _, err := s.RoutingStats(ctx, at.Add(-24*time.Hour), at.Add(24*time.Hour)); err != nil {
		t.Fatalf("a snapshot after the failed one: %v", err)
	}
}
