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
	routingDaysDDL("routing_days"),
	"CREATE TABLE routing_facts (lead_id BIGINT NOT NULL, kind VARCHAR(20) NOT NULL, at_ms BIGINT NOT NULL, prev_ms BIGINT," +
		" rep VARCHAR(500) NOT NULL, pool TEXT NOT NULL, delay_ms BIGINT NOT NULL, bucket INTEGER NOT NULL)",
	"CREATE INDEX idx_routing_facts_at ON routing_facts (at_ms)",
	"CREATE INDEX idx_routing_facts_prev ON routing_facts (prev_ms, at_ms)",
	"CREATE INDEX idx_routing_facts_lead ON routing_facts (lead_id)",
	// The exact delays of one rep's bucket, for a median.
	"CREATE INDEX idx_routing_facts_delay ON routing_facts (kind, rep, bucket, delay_ms, at_ms, prev_ms)",
}

// routingDaysDDL creates routing_days under the name table: a pool's rows
// are keyed by the pool's hash (poolKey), the pool kept beside the key.
func routingDaysDDL(table string) string {
	return "CREATE TABLE " + table + " (day BIGINT NOT NULL, prev_day BIGINT NOT NULL, rep VARCHAR(500) NOT NULL," +
		" pool_key VARCHAR(32) NOT NULL, pool TEXT NOT NULL, shard INTEGER NOT NULL, " +
		strings.Join(routingDayCols, " BIGINT NOT NULL, ") + " BIGINT NOT NULL," +
		" PRIMARY KEY (day, rep, pool_key, prev_day, shard))"
}

// migrateRoutingRollup creates the routing rollup's tables when they are
// missing and fills them from the event log, or keys the pools of a
// routing_days that predates pool_key. A routing_days without the counts
// as columns (the first routing rollup's, a row per kind and bucket) is
// dropped with its facts and filled anew from the event log, as for a
// database that never had one.
func migrateRoutingRollup(tx *gorm.DB) error {
	if tx.Migrator().HasTable("routing_days") {
		if hasRoutingDayCounts(tx) {
			if err := keyRoutingPools(tx); err != nil {
				return fmt.Errorf("storage: migrate routing rollup: key pools: %w", err)
			}
			return nil
		}
		for _, q := range []string{"DROP TABLE routing_days", "DROP TABLE IF EXISTS routing_facts"} {
			if err := tx.Exec(q).Error; err != nil {
				return fmt.Errorf("storage: migrate routing rollup: drop the first rollup: %w", err)
			}
		}
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

// hasRoutingDayCounts says whether routing_days has a column for each of
// routingDayCols.
func hasRoutingDayCounts(tx *gorm.DB) bool {
	for _, c := range routingDayCols {
		if !tx.Migrator().HasColumn("routing_days", c) {
			return false
		}
	}
	return true
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

// keyRoutingPools converts a routing_days whose primary key held its
// pools (before pool_key) to routing_days keyed by the pools' hashes,
// keeping its rows: the distinct pools' keys are computed here and joined
// to the rows that a table of the new shape takes, which then replaces the
// old one (SQLite cannot change a primary key in place). It does nothing
// to a routing_days with pool_key.
func keyRoutingPools(tx *gorm.DB) error {
	if tx.Migrator().HasColumn("routing_days", "pool_key") {
		return nil
	}
	var pools []string
	if err := tx.Raw("SELECT DISTINCT pool FROM routing_days WHERE pool <> ''").Scan(&pools).Error; err != nil {
		return fmt.Errorf("read pools: %w", err)
	}
	if err := tx.Exec("CREATE TABLE routing_pool_keys (pool TEXT NOT NULL, pool_key VARCHAR(32) NOT NULL)").Error; err != nil {
		return err
	}
	err := insertRows(tx, "routing_pool_keys", []string{"pool", "pool_key"}, len(pools), func(i int) []any { return []any{pools[i], poolKey(pools[i])} })
	if err != nil {
		return err
	}
	cols := "day, prev_day, rep, pool, shard, " + strings.Join(routingDayCols, ", ")
	steps := []string{
		routingDaysDDL("routing_days_keyed"),
		"INSERT INTO routing_days_keyed (pool_key, " + cols + ") SELECT COALESCE(k.pool_key, ''), d." +
			strings.ReplaceAll(cols, ", ", ", d.") + " FROM routing_days d LEFT JOIN routing_pool_keys k ON k.pool = d.pool",
		"DROP TABLE routing_pool_keys",
		"DROP TABLE routing_days",
		"ALTER TABLE routing_days_keyed RENAME TO routing_days",
	}
	if tx.Dialector.Name() == DialectPostgres {
		// The name a routing_days created as such has.
		steps = append(steps, "ALTER TABLE routing_days RENAME CONSTRAINT routing_days_keyed_pkey TO routing_days_pkey")
	}
	for _, q := range steps {
		if err := tx.Exec(q).Error; err != nil {
			return err
		}
	}
	return analyze(tx, "routing_days")
}
