package storage

import (
	"github.com/handoff/handoff"
	"gorm.io/gorm"
)

// stageTimesMigration names migrateStageTimes in data_migrations.
const stageTimesMigration = "leads-stage-ms-from-events"

// stageTimesSQL fills stage_ms (handoff.Lead.StageAt) of the leads stored
// before it was kept, NULL, from their history: the time of the event by
// which the lead entered its current stage, the last of its stage and
// release events recorded (the highest id: the order in which the lead
// went through them, which their times need not follow, as a CRM dates its
// changes), when that event's stage is the lead's. It is the time that
// Lead.EnterStages (a stage event), Lead.Release and TickSLA's release (a
// release event, of stage sql) set and the claim's UPDATE (a stage event)
// writes. A lead whose history holds no such event, or whose last one is
// not of its stage, keeps NULL: nothing says when it entered its stage,
// and Lead.EnteredStageAt falls back to its last update as before. Other
// events (a reminder, a breach, a routing step, the erasure) carry the
// lead's stage at their time without moving it, and are not read. A lead
// that has stage_ms is not read either; only stage_ms is written, so an
// erased lead gains back nothing its erasure took (its stage history is
// kept, and with it the stage time, which the erasure leaves on a lead
// too). One statement per database: on SQLite each lead's last event is
// found through idx_lead_events_lead_id, within the leads it updates; on
// PostgreSQL, where such a correlated lookup would be planned as a join
// of every lead with every event, the last event of every lead is grouped
// once (a hash aggregate) and joined to the leads.
// Arguments: the event kinds stage and release.
var stageTimesSQL = map[string]string{
	DialectSQLite: "UPDATE leads SET stage_ms = e.at_ms FROM lead_events AS e" +
		" WHERE leads.stage_ms IS NULL AND e.stage = leads.stage" +
		" AND e.id = (SELECT MAX(x.id) FROM lead_events AS x WHERE x.lead_id = leads.id AND x.kind IN (?, ?))",
	DialectPostgres: "UPDATE leads AS l SET stage_ms = e.at_ms" +
		" FROM (SELECT lead_id, MAX(id) AS id FROM lead_events WHERE kind IN (?, ?) GROUP BY lead_id) AS m" +
		" JOIN lead_events AS e ON e.id = m.id" +
		" WHERE l.id = m.lead_id AND l.stage_ms IS NULL AND e.stage = l.stage",
}

// migrateStageTimes gives the leads stored before stage_ms was kept their
// stage time from their history (stageTimesSQL), once (data_migrations),
// so that the closed card's "Closed" time and the CRM-time floor
// (Lead.EnteredStageAt) stop following the lead's last update. It changes
// no other column: updated_ms stays, as does every lead that has stage_ms.
// Run again, it changes nothing. Migrate calls it inside its transaction.
func migrateStageTimes(tx *gorm.DB) error {
	return migrateOnce(tx, stageTimesMigration, "stage times of earlier leads", func() error {
		return tx.Exec(stageTimesSQL[tx.Dialector.Name()], string(handoff.EventStage), string(handoff.EventRelease)).Error
	})
}
