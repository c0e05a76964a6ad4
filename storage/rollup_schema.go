package storage

import (
	"fmt"

	"github.com/handoff/handoff"
	"gorm.io/gorm"
)

// rollupDDL creates the rollup's tables; the same DDL runs on SQLite and
// PostgreSQL.
var rollupDDL = []string{
	"CREATE TABLE funnel_days (day BIGINT NOT NULL, stage VARCHAR(20) NOT NULL, source VARCHAR(500) NOT NULL," +
		" campaign VARCHAR(500) NOT NULL, shard INTEGER NOT NULL, n BIGINT NOT NULL, amount_minor BIGINT NOT NULL," +
		" PRIMARY KEY (day, stage, source, campaign, shard))",
	"CREATE TABLE funnel_reentries (lead_id BIGINT NOT NULL, stage VARCHAR(20) NOT NULL, at_ms BIGINT NOT NULL, prev_ms BIGINT NOT NULL)",
	"CREATE INDEX idx_funnel_reentries_at ON funnel_reentries (at_ms, stage, prev_ms, lead_id)",
	"CREATE INDEX idx_funnel_reentries_lead ON funnel_reentries (lead_id, stage)",
}

// wonDDL creates funnel_won: every entry into won with its predecessor
// (NULL for the first) and the lead's first touch (its first lead event,
// NULL without one), for the median time to first order.
var wonDDL = []string{
	"CREATE TABLE funnel_won (lead_id BIGINT NOT NULL, at_ms BIGINT NOT NULL, prev_ms BIGINT, first_touch_ms BIGINT)",
	"CREATE INDEX idx_funnel_won_at ON funnel_won (at_ms, prev_ms, first_touch_ms, lead_id)",
	"CREATE INDEX idx_funnel_won_lead ON funnel_won (lead_id)",
}

// migrateRollup creates the rollup's tables when they are missing and fills
// them from the event log; Migrate calls it inside its transaction.
func migrateRollup(tx *gorm.DB, dialect string) error {
	if !tx.Migrator().HasTable("funnel_days") {
		for _, ddl := range rollupDDL {
			if err := tx.Exec(ddl).Error; err != nil {
				return fmt.Errorf("storage: migrate rollup: %w", err)
			}
		}
		if err := backfillRollup(tx, dialect); err != nil {
			return fmt.Errorf("storage: backfill rollup: %w", err)
		}
	}
	if err := migrateLeadDays(tx, dialect); err != nil {
		return err
	}
	if err := migrateWaits(tx, dialect); err != nil {
		return err
	}
	if err := migrateRoutingRollup(tx); err != nil {
		return err
	}
	if !tx.Migrator().HasTable("funnel_won") {
		for _, ddl := range wonDDL {
			if err := tx.Exec(ddl).Error; err != nil {
				return fmt.Errorf("storage: migrate rollup: %w", err)
			}
		}
		q := "INSERT INTO funnel_won (lead_id, at_ms, prev_ms, first_touch_ms)" +
			" SELECT w.lead_id, w.at_ms, w.prev_ms, (SELECT MIN(t.at_ms) FROM lead_events t WHERE t.lead_id = w.lead_id AND t.kind = ? AND t.stage = ?)" +
			" FROM (SELECT e.lead_id, e.at_ms, LAG(e.at_ms) OVER (PARTITION BY e.lead_id ORDER BY e.at_ms) AS prev_ms" +
			" FROM lead_events e WHERE e.kind = ? AND e.stage = ?) w"
		stage := string(handoff.EventStage)
		err := tx.Exec(q, stage, string(handoff.StageLead), stage, string(handoff.StageWon)).Error
		if err == nil {
			err = analyze(tx, "funnel_won")
		}
		if err != nil {
			return fmt.Errorf("storage: backfill rollup: %w", err)
		}
	}
	// The time to first order in order, for its median (medianFirstOrder).
	if err := tx.Exec(wonWaitIndex).Error; err != nil {
		return fmt.Errorf("storage: migrate rollup: %w", err)
	}
	return nil
}

const wonWaitIndex = "CREATE INDEX IF NOT EXISTS idx_funnel_won_wait ON funnel_won ((at_ms - first_touch_ms), at_ms, prev_ms) WHERE first_touch_ms IS NOT NULL"

// backfillRollup computes the rollup from the event log with two
// statements: the first entry of each lead and stage, and every later one
// with its predecessor (a window function).
func backfillRollup(tx *gorm.DB, dialect string) error {
	day := "CASE WHEN f.first_ms >= 0 THEN f.first_ms / %[1]d ELSE (f.first_ms - %[1]d + 1) / %[1]d END"
	shard := "0"
	if dialect == DialectPostgres {
		shard = fmt.Sprintf("(f.lead_id %% %d)", rollupShards)
	}
	q := "INSERT INTO funnel_days (day, stage, source, campaign, shard, n, amount_minor)" +
		" SELECT " + fmt.Sprintf(day, dayMs) + ", f.stage, COALESCE(l.source, ''), COALESCE(l.campaign, ''), " + shard + "," +
		" COUNT(*), COALESCE(SUM(CASE WHEN f.stage = ? THEN l.amount_minor ELSE 0 END), 0)" +
		" FROM (SELECT e.lead_id, e.stage, MIN(e.at_ms) AS first_ms FROM lead_events e WHERE e.kind = ? GROUP BY e.lead_id, e.stage) f" +
		" JOIN leads l ON l.id = f.lead_id GROUP BY 1, 2, 3, 4, 5"
	if err := tx.Exec(q, string(handoff.StageWon), string(handoff.EventStage)).Error; err != nil {
		return err
	}
	q = "INSERT INTO funnel_reentries (lead_id, stage, at_ms, prev_ms)" +
		" SELECT lead_id, stage, at_ms, prev_ms FROM (SELECT e.lead_id, e.stage, e.at_ms," +
		" LAG(e.at_ms) OVER (PARTITION BY e.lead_id, e.stage ORDER BY e.at_ms) AS prev_ms" +
		" FROM lead_events e WHERE e.kind = ?) r WHERE prev_ms IS NOT NULL"
	if err := tx.Exec(q, string(handoff.EventStage)).Error; err != nil {
		return err
	}
	return analyze(tx, "funnel_days", "funnel_reentries")
}

// analyze gives the planner statistics of tables just filled (PostgreSQL
// otherwise plans for an empty table and sorts on disk until autovacuum
// gets to it).
func analyze(tx *gorm.DB, tables ...string) error {
	for _, t := range tables {
		if err := tx.Exec("ANALYZE " + t).Error; err != nil {
			return err
		}
	}
	return nil
}
