package storage

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// processedEventRow remembers an inbound event (a Slack event_id, a Teams
// activity) that was already handled, so a platform's retries are handled
// once, by whichever replica they reach.
type processedEventRow struct {
	ID        int64  `gorm:"primaryKey"`
	Source    string `gorm:"size:40;not null;uniqueIndex:idx_processed_source_key,priority:1"`
	Key       string `gorm:"size:200;not null;uniqueIndex:idx_processed_source_key,priority:2"`
	CreatedMs int64  `gorm:"not null;index"`
}

func (processedEventRow) TableName() string { return "processed_events" }

// MarkProcessed records that the event key from source (e.g. "slack", an
// event_id) is being handled, and reports whether this is the first time.
// A unique key decides, so of concurrent deliveries exactly one is first.
func (s *Store) MarkProcessed(ctx context.Context, source, key string, now time.Time) (bool, error) {
	row := processedEventRow{Source: source, Key: key, CreatedMs: ms(now)}
	first := false
	err := s.tx(ctx, func(tx *gorm.DB) error {
		r := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
		first = r.RowsAffected == 1
		return r.Error
	})
	if err != nil {
		return false, fmt.Errorf("storage: mark %s event %q processed: %w", source, key, err)
	}
	return first, nil
}

// ForgetProcessed forgets the event key from source, so that a platform's
// retry of an event whose handling failed is handled.
func (s *Store) ForgetProcessed(ctx context.Context, source, key string) error {
	r := s.write.WithContext(ctx).Where("source = ? AND key = ?", source, key).Delete(&processedEventRow{})
	if r.Error != nil {
		return fmt.Errorf("storage: forget %s event %q: %w", source, key, r.Error)
	}
	return nil
}

// PruneProcessed forgets events recorded before before (platforms stop
// retrying after a few hours) and returns how many it removed.
func (s *Store) PruneProcessed(ctx context.Context, before time.Time) (int64, error) {
	r := s.write.WithContext(ctx).Where("created_ms < ?", ms(before)).Delete(&processedEventRow{})
	if r.Error != nil {
		return 0, fmt.Errorf("storage: prune processed events: %w", r.Error)
	}
	return r.RowsAffected, nil
}
