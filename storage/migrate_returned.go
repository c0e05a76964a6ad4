package storage

import (
	"github.com/handoff/handoff"
	"gorm.io/gorm"
)

// returnedSQLsMigration names migrateReturnedSQLs in data_migrations.
const returnedSQLsMigration = "returned-sqls-leave-sla"

// returnedSQLs are the leads that sales returned (lost, recycled, not a fit)
// before first contact and, the last time, before the contact deadline of
// their latest SQL, and that are not back with sales: handoff's
// Lead.EnterStages now releases them from that deadline, and before it
// they kept it. A lead recorded as history has no claim deadline and is
// left alone. Arguments: stage, sql, claimed, stage, lost, recycled.
const returnedSQLs = "l.contacted_ms IS NULL AND l.contact_due_ms IS NOT NULL AND l.claim_due_ms IS NOT NULL" +
	" AND l.sql_ms IS NOT NULL AND l.stage NOT IN (?, ?)" +
	" AND (SELECT MAX(e.at_ms) FROM lead_events e WHERE e.lead_id = l.id AND e.kind = ? AND e.stage IN (?, ?)" +
	" AND e.at_ms >= l.sql_ms) < l.contact_due_ms"

// migrateReturnedSQLs releases the leads of returnedSQLs from their contact
// deadline, with the rollup that counted them, as if they had been returned
// under today's rule: the SLA figures stop counting them as breached. It
// runs once, recorded in data_migrations; Migrate calls it inside its
// transaction, after the rollup exists.
func migrateReturnedSQLs(tx *gorm.DB) error {
	return migrateOnce(tx, returnedSQLsMigration, "returned SQLs", func() error { return releaseReturnedSQLs(tx) })
}

// releaseReturnedSQLs is migrateReturnedSQLs' change.
func releaseReturnedSQLs(tx *gorm.DB) error {
	args := []any{string(handoff.StageSQL), string(handoff.StageClaimed), string(handoff.EventStage),
		string(handoff.StageLost), string(handoff.StageRecycled)}
	for {
		var rows []leadRow
		if err := tx.Table("leads AS l").Where(returnedSQLs, args...).Order("l.id").Limit(500).Find(&rows).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			break
		}
		ids := make([]int64, len(rows))
		changes := make([]leadRollup, len(rows))
		for i, r := range rows {
			before := rowKeys(r)
			after := before
			after.facts.due = noTime
			ids[i], changes[i] = r.ID, leadRollup{id: r.ID, old: &before, new: after}
		}
		if err := tx.Model(&leadRow{}).Where("id IN ?", ids).Update("contact_due_ms", nil).Error; err != nil {
			return err
		}
		if err := updateRollup(tx, changes); err != nil {
			return err
		}
	}
	return nil
}
