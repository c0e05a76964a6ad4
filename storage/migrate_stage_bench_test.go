package storage_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// BenchmarkMigrateStageTimes times the upgrade of a store from the version
// before stage_ms over the funnel benchmark's fixture (benchStore:
// HANDOFF_BENCH_LEADS leads and their events, bulk-loaded as an earlier
// version stored them, stage_ms NULL): Migrate, then BackfillStageTimes in
// its batches, of the sizes HANDOFF_BENCH_STAGE_BATCHES lists (comma
// separated; the store's own by default), one sub-benchmark each. Each run
// first clears stage_ms and the backfill's record (untimed; on PostgreSQL a
// VACUUM ANALYZE of leads follows, the state autovacuum keeps), then times
// Migrate ("migrate-ms") and the backfill ("backfill-ms", with its batches'
// median, 99th percentile and longest, "batch-p50-ms", "batch-p99-ms",
// "batch-max-ms": the longest a write to a lead waits for it), while a
// writer updates, one after another, a lead of the batch being written
// ("write-p50-ms", "write-max-ms": what a click on such a lead takes); it
// fails unless every lead has its stage time afterwards (each of the
// fixture's leads has a stage event). "recorded-ms" is Migrate and a backfill that
// finds itself done. A batch that took slowStageTimesBatch or more is
// logged with its lead ids and end (UTC), to be looked into. Run it with
//
//	HANDOFF_BENCH_LEADS=1000000 go test ./storage/ -run '^$' -bench BenchmarkMigrateStageTimes -benchtime 1x -timeout 60m
//
// The backfill writes to the cached fixture: run it with TMPDIR of its own
// when another benchmark may be reading the SQLite one.
func BenchmarkMigrateStageTimes(b *testing.B) {
	n := benchLeads(b)
	sizes := []int64{storage.StageTimesBatch}
	if v := os.Getenv("HANDOFF_BENCH_STAGE_BATCHES"); v != "" {
		sizes = nil
		for f := range strings.SplitSeq(v, ",") {
			size, err := strconv.ParseInt(strings.TrimSpace(f), 10, 64)
			if err != nil || size <= 0 {
				b.Fatalf("HANDOFF_BENCH_STAGE_BATCHES=%q: want positive integers", v)
			}
			sizes = append(sizes, size)
		}
	}
	for _, dialect := range storagetest.Dialects {
		for _, size := range sizes {
			b.Run(fmt.Sprintf("%s/leads=%d/batch=%d", dialect, n, size), func(b *testing.B) {
				benchStageTimes(b, dialect, n, size)
			})
		}
	}
}

// benchStageTimes is BenchmarkMigrateStageTimes on dialect's fixture of n
// leads, in batches of size.
func benchStageTimes(b *testing.B, dialect string, n int, size int64) {
	ctx := context.Background()
	dbURL := benchURL(b, dialect, n)
	s := storagetest.OpenURL(b, dbURL, storage.Options{})
	driver := "pgx"
	if dialect == storage.DialectSQLite {
		driver, dbURL = "sqlite3", "file:"+dbURL+"?_busy_timeout=10000"
	}
	raw, err := sql.Open(driver, dbURL)
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	exec := func(q string) {
		b.Helper()
		if _, err := raw.Exec(q); err != nil {
			b.Fatalf("%s: %v", q, err)
		}
	}
	// The end of each batch, for their times, and the first lead id of
	// the batch it writes next, for the writer.
	var ends []time.Time
	var next atomic.Int64
	s.SetStageTimesBatch(size, func(int64) {
		ends = append(ends, time.Now())
		next.Add(size)
	})
	var migrateTook, backfillTook, longest time.Duration
	var batches, writes []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		exec("UPDATE leads SET stage_ms = NULL WHERE stage_ms IS NOT NULL")
		exec("DELETE FROM data_migrations WHERE name = 'leads-stage-ms-from-events'")
		if dialect == storage.DialectPostgres {
			exec("VACUUM ANALYZE leads")
		}
		b.StartTimer()
		start := time.Now()
		if err := s.Migrate(ctx); err != nil {
			b.Fatal(err)
		}
		migrated := time.Now()
		ends = ends[:0]
		var first int64
		if err := raw.QueryRow("SELECT MIN(id) FROM leads").Scan(&first); err != nil {
			b.Fatal(err)
		}
		next.Store(first)
		stop := make(chan struct{})
		wrote := make(chan []time.Duration)
		go func() { wrote <- writeDuringBackfill(ctx, s, &next, size, stop) }()
		bf, err := s.BackfillStageTimes(ctx, nil)
		close(stop)
		writes = <-wrote
		if err != nil || !bf.Done || bf.Elsewhere {
			b.Fatalf("backfill = %+v, %v", bf, err)
		}
		b.StopTimer()
		migrateTook, backfillTook, longest = migrated.Sub(start), time.Since(migrated), bf.Longest
		batches = batches[:0]
		prev := migrated
		var slow []string
		for j, end := range ends {
			took := end.Sub(prev)
			batches = append(batches, took)
			if took >= slowStageTimesBatch {
				lo := first + int64(j)*size
				slow = append(slow, fmt.Sprintf("ids %d-%d %s to %s", lo, lo+size-1, took.Round(time.Millisecond), end.UTC().Format("15:04:05.000")))
			}
			prev = end
		}
		if len(slow) > 0 {
			b.Logf("%d batches of %s or more (lead ids, time, end UTC): %s", len(slow), slowStageTimesBatch, strings.Join(slow, "; "))
		}
		b.Logf("Migrate took %s; BackfillStageTimes dated %d leads in %d batches of %d ids in %s, the longest %s; %d writes to leads of the batch being written meanwhile",
			migrateTook.Round(time.Millisecond), bf.Dated, bf.Batches, size, backfillTook.Round(time.Millisecond), bf.Longest.Round(time.Millisecond), len(writes))
		var unset int
		if err := raw.QueryRow("SELECT COUNT(*) FROM leads WHERE stage_ms IS NULL").Scan(&unset); err != nil {
			b.Fatal(err)
		}
		if unset != 0 {
			b.Fatalf("%d leads of %d have no stage_ms after the backfill", unset, n)
		}
	}
	msOf := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(msOf(migrateTook), "migrate-ms")
	b.ReportMetric(msOf(backfillTook), "backfill-ms")
	if len(batches) > 0 {
		slices.Sort(batches)
		b.ReportMetric(msOf(batches[len(batches)/2]), "batch-p50-ms")
		b.ReportMetric(msOf(batches[len(batches)*99/100]), "batch-p99-ms")
	}
	b.ReportMetric(msOf(longest), "batch-max-ms")
	if len(writes) > 0 {
		slices.Sort(writes)
		b.ReportMetric(msOf(writes[len(writes)/2]), "write-p50-ms")
		b.ReportMetric(msOf(writes[len(writes)-1]), "write-max-ms")
	}
	start := time.Now()
	if err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	if bf, err := s.BackfillStageTimes(ctx, nil); err != nil || !bf.Done || bf.Batches != 0 {
		b.Fatalf("backfill found done = %+v, %v", bf, err)
	}
	b.ReportMetric(msOf(time.Since(start)), "recorded-ms")
}

// slowStageTimesBatch is how long a batch of benchStageTimes takes at least
// for its lead ids and end (UTC) to be logged, to be looked into.
const slowStageTimesBatch = 250 * time.Millisecond

// writeDuringBackfill updates, one after another until stop closes, a
// lead of the batch the backfill writes next (from *next, size ids: the
// write waits for that batch, on either database), as a click on an
// earlier lead during the upgrade would, and returns how long each took.
func writeDuringBackfill(ctx context.Context, s *storage.Store, next *atomic.Int64, size int64, stop <-chan struct{}) []time.Duration {
	var took []time.Duration
	for i := 0; ; i++ {
		select {
		case <-stop:
			return took
		case <-time.After(10 * time.Millisecond):
		}
		id := next.Load() + rand.Int64N(size)
		start := time.Now()
		_, err := s.UpdateLead(ctx, id, start, func(l *handoff.Lead) (handoff.LeadChange, error) {
			l.Title = fmt.Sprintf("bench %d", i)
			return handoff.NewChange(l, nil), nil
		})
		if err == nil {
			took = append(took, time.Since(start))
		}
	}
}
