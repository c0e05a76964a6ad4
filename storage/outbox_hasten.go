package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/handoff/handoff"
	"gorm.io/gorm"
)

// HastenOutbox makes the pending chat messages for platform (and those for
// every platform, queued with none) that wait for a retry due at now, and
// returns how many it moved: what the dispatcher does when a platform
// answers again after failing (outbox.Dispatcher). New messages (no
// attempt yet), messages being sent (due already), messages that wait as
// long as their platform asked (a Retry-After: sent sooner, they would be
// refused again) and webhook messages, which go elsewhere, keep their
// time.
func (s *Store) HastenOutbox(ctx context.Context, platform string, now time.Time) (int64, error) {
	var n int64
	err := s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&outboxRow{}).
			Where("status = ? AND due_ms > ? AND attempts > 0 AND kind <> ? AND (platform = ? OR platform = '')"+
				" AND (not_before_ms IS NULL OR not_before_ms <= ?)",
				OutboxPending, ms(now), handoff.OutboxWebhook, platform, ms(now)).
			Update("due_ms", ms(now))
		n = res.RowsAffected
		return res.Error
	})
	if err != nil {
		return 0, fmt.Errorf("storage: hasten outbox retries of %s: %w", platform, err)
	}
	return n, nil
}
