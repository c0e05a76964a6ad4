package storage

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// dataMigrationRow records a change to stored data that Migrate made once,
// so that it is not looked for again at every start.
type dataMigrationRow struct {
	Name   string `gorm:"primaryKey;size:100"`
	DoneMs int64  `gorm:"not null"`
}

func (dataMigrationRow) TableName() string { return "data_migrations" }

// migrateOnce runs change, the data migration name (what, for errors), in
// tx unless data_migrations records it done, and records it done in the
// same transaction: Migrate runs at every start, a data migration once.
func migrateOnce(tx *gorm.DB, name, what string, change func() error) error {
	done, err := migrationDone(tx, name)
	if err != nil {
		return fmt.Errorf("storage: migrate %s: %w", what, err)
	}
	if done {
		return nil
	}
	if err := change(); err != nil {
		return fmt.Errorf("storage: migrate %s: %w", what, err)
	}
	if err := tx.Create(&dataMigrationRow{Name: name, DoneMs: ms(time.Now())}).Error; err != nil {
		return fmt.Errorf("storage: migrate %s: %w", what, err)
	}
	return nil
}

// migrationDone reports whether data_migrations records the data
// migration name done, read on db.
func migrationDone(db *gorm.DB, name string) (bool, error) {
	var done int64
	if err := db.Model(&dataMigrationRow{}).Where("name = ?", name).Count(&done).Error; err != nil {
		return false, err
	}
	return done > 0, nil
}
