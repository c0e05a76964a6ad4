package storage

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// KeepContactDueAsBefore gives lead id back the contact deadline due, with
// the rollup counting it, as the store kept it before an SQL returned before
// contact was released from it, and forgets that Migrate released such
// leads: the state of a database written by the earlier code.
func (s *Store) KeepContactDueAsBefore(ctx context.Context, id int64, due time.Time) error {
	return s.write.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		row, err := findLeadRowIn(tx, "id", id)
		if err != nil {
			return err
		}
		before := rowKeys(row)
		after := before
		after.facts.due = ms(due)
		if err := tx.Model(&leadRow{}).Where("id = ?", id).Update("contact_due_ms", ms(due)).Error; err != nil {
			return err
		}
		if err := updateRollup(tx, []leadRollup{{id: id, old: &before, new: after}}); err != nil {
			return err
		}
		return tx.Where("name = ?", returnedSQLsMigration).Delete(&dataMigrationRow{}).Error
	})
}

// MarkMigrated records that Migrate released the returned SQLs, as it does
// the first time.
func (s *Store) MarkMigrated(ctx context.Context) error {
	return s.write.WithContext(ctx).Create(&dataMigrationRow{Name: returnedSQLsMigration, DoneMs: ms(time.Now())}).Error
}
