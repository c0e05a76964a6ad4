package storage_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// BenchmarkMigrateErasedOffers times Migrate's ending of the routing of
// the SQLs an earlier version erased with an offer (migrateErasedOffers)
// over HANDOFF_BENCH_LEADS leads (10,000 by default), written directly as
// that version left them: one in 100 an erased SQL whose offer runs (a
// third, each charging Ann), waits or is pending, one in 100 an SQL
// offered now, one in 10 erased and lost, the rest claimed. Each run
// first puts the erased SQLs' offers back and clears the balances, the
// outbox and the migration's record (untimed; on PostgreSQL a VACUUM
// ANALYZE of leads follows), then times Migrate ("migrate-ms"); it fails
// unless every erased SQL's offer ended, the route index holds none of
// them and Ann's charges were refunded. "recorded-ms" is Migrate finding
// the migration done, what every start costs. Run it with
//
//	HANDOFF_BENCH_LEADS=100000 go test ./storage/ -run '^$' -bench BenchmarkMigrateErasedOffers -benchtime 3x
func BenchmarkMigrateErasedOffers(b *testing.B) {
	n := benchLeads(b)
	for _, dialect := range storagetest.Dialects {
		b.Run(fmt.Sprintf("%s/leads=%d", dialect, n), func(b *testing.B) {
			ctx := context.Background()
			s, raw := storagetest.OpenRaw(b, dialect)
			exec := func(q string) {
				b.Helper()
				if _, err := raw.Exec(q); err != nil {
					b.Fatalf("%s: %v", q, err)
				}
			}
			const base = 1795000000000 // 2026-11-18, in Unix ms
			const credits = `'{"slack:U0ANN0001":-1,"slack:U0BO00002":1}'`
			exec(fmt.Sprintf(`INSERT INTO leads (external_id, email, name, company, title, phone, source, campaign, score, score_reasons,
				stage, reached, amount_minor, reason, attributes, owner_platform, owner_user_id, owner_email, sql_ms, erased_ms, erased_key,
				parked_error, offer_state, offer_rep, offer_due_ms, offer_seq, offer_tried, offer_credits, created_ms, updated_ms)
				WITH RECURSIVE c(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM c WHERE g < %[1]d)
				SELECT 'bench-' || g, '', '', '', '', '', 'web', '', 0, '',
				CASE WHEN g %% 100 IN (0, 1) THEN 'sql' WHEN g %% 10 = 5 THEN 'lost' ELSE 'claimed' END, 3, 0, '', '', '', '', '', %[2]d,
				CASE WHEN g %% 100 = 0 OR g %% 10 = 5 THEN %[2]d + g END, CASE WHEN g %% 100 = 0 OR g %% 10 = 5 THEN 'k' || g ELSE '' END,
				'', CASE WHEN g %% 100 = 1 THEN 'offered' WHEN g %% 10 = 5 THEN '' WHEN g %% 100 <> 0 THEN 'claimed' ELSE '' END,
				CASE WHEN g %% 100 = 1 THEN 'slack:U0BO00002' ELSE '' END, CASE WHEN g %% 100 = 1 THEN %[2]d + g END, 1, '',
				CASE WHEN g %% 100 = 1 THEN %[3]s ELSE '' END, %[2]d, %[2]d FROM c`, n, base, credits))
			erasedSQLs := n / 100
			offered := n / 300
			var migrateTook time.Duration
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				exec(fmt.Sprintf(`UPDATE leads SET offer_state = CASE WHEN id %% 300 = 0 THEN 'offered' WHEN id %% 300 = 100 THEN 'waiting' ELSE 'pending' END,
					offer_rep = CASE WHEN id %% 300 = 0 THEN 'slack:U0ANN0001' ELSE '' END, offer_due_ms = %[1]d + id,
					offer_credits = CASE WHEN id %% 300 = 0 THEN %[2]s ELSE '' END WHERE id %% 100 = 0`, base, credits))
				exec("DELETE FROM rep_credits")
				exec("DELETE FROM outbox")
				exec("DELETE FROM data_migrations WHERE name = 'erased-sqls-end-routing'")
				if dialect == storage.DialectPostgres {
					exec("VACUUM ANALYZE leads")
				}
				b.StartTimer()
				start := time.Now()
				if err := s.Migrate(ctx); err != nil {
					b.Fatal(err)
				}
				migrateTook = time.Since(start)
				b.StopTimer()
				var ended, indexed, queued int
				var ann int64
				for q, v := range map[string]*int{
					"SELECT COUNT(*) FROM leads WHERE offer_state = 'erased'":                                               &ended,
					"SELECT COUNT(*) FROM leads WHERE offer_due_ms IS NOT NULL AND stage = 'sql' AND erased_ms IS NOT NULL": &indexed,
					"SELECT COUNT(*) FROM outbox": &queued,
				} {
					if err := raw.QueryRow(q).Scan(v); err != nil {
						b.Fatalf("%s: %v", q, err)
					}
				}
				if err := raw.QueryRow("SELECT credit FROM rep_credits WHERE rep_key = 'slack:U0ANN0001'").Scan(&ann); err != nil && offered > 0 {
					b.Fatal(err)
				}
				if ended != erasedSQLs || indexed != 0 || queued != offered || ann != int64(offered) {
					b.Fatalf("after Migrate: %d offers ended as erased (want %d), %d erased in the route index, %d queued (want %d), Ann's balance %d (want %d)",
						ended, erasedSQLs, indexed, queued, offered, ann, offered)
				}
				b.StartTimer()
			}
			b.StopTimer()
			b.ReportMetric(float64(migrateTook.Microseconds())/1000, "migrate-ms")
			start := time.Now()
			if err := s.Migrate(ctx); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(time.Since(start).Microseconds())/1000, "recorded-ms")
		})
	}
}
