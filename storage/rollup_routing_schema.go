package storage

import (
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"
)

// routingDDL creates the routing rollup's tables (rollup_routing.go); the
// same DDL runs on SQLite and PostgreSQL.
var routingDDL = []string{
	"CREATE TABLE routing_days (day BIGINT NOT NULL, prev_day BIGINT NOT NULL, rep VARCHAR(500) NOT NULL, pool TEXT NOT NULL," +
		" shard INTEGER NOT NULL, " + strings.Join(routingDayCols, " BIGINT NOT NULL, ") + " BIGINT NOT NULL," +
		" PRIMARY KEY (day, rep, pool, prev_day, shard))",
	"CREATE TABLE routing_facts (lead_id BIGINT NOT NULL, kind VARCHAR(20) NOT NULL, at_ms BIGINT NOT NULL, prev_ms BIGINT," +
		" rep VARCHAR(500) NOT NULL, pool TEXT NOT NULL, delay_ms BIGINT NOT NULL, bucket INTEGER NOT NULL)",
	"CREATE INDEX idx_routing_facts_at ON routing_facts (at_ms)",
	"CREATE INDEX idx_routing_facts_prev ON routing_facts (prev_ms, at_ms)",
	"CREATE INDEX idx_routing_facts_lead ON routing_facts (lead_id)",
	// The exact delays of one rep's bucket, for a median.
	"CREATE INDEX idx_routing_facts_delay ON routing_facts (kind, rep, bucket, delay_ms, at_ms, prev_ms)",
}

// migrateRoutingRollup creates the routing rollup's tables when they are
// missing and fills them from the event log.
func migrateRoutingRollup(tx *gorm.DB) error {
	if tx.Migrator().HasTable("routing_days") {
		return nil
	}
	for _, ddl := range routingDDL {
		if err := tx.Exec(ddl).Error; err != nil {
			return fmt.Errorf("storage: migrate routing rollup: %w", err)
		}
	}
	if err := backfillRouting(tx); err != nil {
		return fmt.Errorf("storage: backfill routing rollup: %w", err)
	}
	return analyze(tx, "routing_days", "routing_facts")
}

// backfillRouting computes the routing rollup from the event log, as the
// writes keep it (leadRoutingFacts), a range of lead ids at a time.
func backfillRouting(tx *gorm.DB) error {
	var maxID *int64
	if err := tx.Raw("SELECT MAX(lead_id) FROM lead_events WHERE kind = ? AND stage = ?", routingEventArgs[0], routingEventArgs[1]).Scan(&maxID).Error; err != nil {
		return err
	}
	if maxID == nil {
		return nil // nothing was ever routed
	}
	q := "SELECT id, lead_id, kind, stage, at_ms, actor, details FROM lead_events" +
		" WHERE ((kind = ? AND stage = ?) OR (kind = ? AND stage = ?)) AND lead_id >= ? AND lead_id < ?"
	days := map[routingDayKey]*routingDayCounts{}
	const span = 20_000
	for start := int64(0); start <= *maxID; start += span {
		var rows []eventRow
		if err := tx.Raw(q, append(slices.Clone(routingEventArgs), start, start+span)...).Scan(&rows).Error; err != nil {
			return err
		}
		items := map[int64][]routingItem{}
		var order []int64
		routed := map[int64]bool{}
		for _, r := range rows {
			it, err := routingItemOf(r, r.ID)
			if err != nil {
				return err
			}
			if items[r.LeadID] == nil {
				order = append(order, r.LeadID)
			}
			items[r.LeadID] = append(items[r.LeadID], it)
			routed[r.LeadID] = routed[r.LeadID] || !it.claim
		}
		var actors []string
		for _, id := range order {
			if routed[id] {
				actors = append(actors, teamsActors(items[id])...)
			}
		}
		teamsKeys, err := teamsRepKeys(tx, actors)
		if err != nil {
			return err
		}
		var facts [][]any
		for _, id := range order {
			if !routed[id] {
				continue // claims alone count nothing
			}
			for _, f := range leadRoutingFacts(items[id], teamsKeys) {
				facts = append(facts, f.row(id))
				f.count(days, 0, 1)
			}
		}
		if err := insertRows(tx, "routing_facts", routingFactCols, len(facts), func(i int) []any { return facts[i] }); err != nil {
			return err
		}
	}
	return execWrites(tx, []tableWrite{routingDaysWrite(days)})
}
