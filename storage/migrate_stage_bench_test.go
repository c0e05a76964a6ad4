package storage_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// BenchmarkMigrateStageTimes times Migrate backfilling stage_ms over the
// funnel benchmark's fixture (benchStore: HANDOFF_BENCH_LEADS leads and
// their events, bulk-loaded as an earlier version stored them, stage_ms
// NULL). Each run first clears stage_ms and the migration's record
// (untimed; on PostgreSQL a VACUUM ANALYZE of leads follows, the state
// autovacuum keeps), then times Migrate; it fails unless every lead has its
// stage time afterwards (each of the fixture's leads has a stage event).
// "recorded-ms" is a Migrate that finds the backfill done. Run it with
//
//	HANDOFF_BENCH_LEADS=1000000 go test ./storage/ -run '^$' -bench BenchmarkMigrateStageTimes -benchtime 1x -timeout 60m
//
// The migration writes to the cached fixture: run it with TMPDIR of its
// own when another benchmark may be reading the SQLite one.
func BenchmarkMigrateStageTimes(b *testing.B) {
	n := benchLeads(b)
	for _, dialect := range storagetest.Dialects {
		b.Run(fmt.Sprintf("%s/leads=%d", dialect, n), func(b *testing.B) {
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
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				exec("UPDATE leads SET stage_ms = NULL")
				exec("DELETE FROM data_migrations WHERE name = 'leads-stage-ms-from-events'")
				if dialect == storage.DialectPostgres {
					exec("VACUUM ANALYZE leads")
				}
				start := time.Now()
				b.StartTimer()
				if err := s.Migrate(ctx); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				b.Logf("Migrate backfilled stage_ms of %d leads in %s", n, time.Since(start).Round(time.Millisecond))
				var unset int
				if err := raw.QueryRow("SELECT COUNT(*) FROM leads WHERE stage_ms IS NULL").Scan(&unset); err != nil {
					b.Fatal(err)
				}
				if unset != 0 {
					b.Fatalf("%d leads of %d have no stage_ms after Migrate", unset, n)
				}
			}
			start := time.Now()
			if err := s.Migrate(ctx); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(time.Since(start).Microseconds())/1000, "recorded-ms")
		})
	}
}
