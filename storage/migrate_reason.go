package storage

import (
	"github.com/handoff/handoff"
	"gorm.io/gorm"
)

// reopenedReasonsMigration names migrateReopenedReasons in data_migrations.
const reopenedReasonsMigration = "reopened-leads-drop-reason"

// migrateReopenedReasons clears, once (data_migrations), the reason of the
// leads that are neither lost nor recycled: an earlier version kept the
// reason of a loss or return on a lead that left it (an SQL again, one
// HubSpot restored after its deletion), where handoff's Lead.EnterStages
// now drops it. The reason stays in the lead's events, which the funnel
// counts; nothing else of the lead changes. Running it again changes
// nothing. Migrate calls it inside its transaction.
func migrateReopenedReasons(tx *gorm.DB) error {
	return migrateOnce(tx, reopenedReasonsMigration, "reasons of reopened leads", func() error {
		return tx.Model(&leadRow{}).Where("stage NOT IN (?, ?) AND reason <> ''", string(handoff.StageLost), string(handoff.StageRecycled)).
			Update("reason", "").Error
	})
}
