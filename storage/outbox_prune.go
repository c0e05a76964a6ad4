package storage

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// pruneBatch is how many sent messages one statement of PruneOutbox
// deletes, so that the first run on a large outbox holds no long
// transaction.
const pruneBatch = 5000

// PruneOutbox deletes the outbox messages done before before (sent,
// skipped, or dropped by an erasure): nothing reads them again, and kept,
// the table grows with every card, update and notice ever sent, and with
// it what every erasure searches (scrubOutbox). Pending and dead messages
// stay. It returns how many it deleted. A done message was due before it
// was done, so the deletions find their rows by the outbox's index on
// (status, due_ms, id).
func (s *Store) PruneOutbox(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for {
		w := s.write.WithContext(ctx)
		old := w.Session(&gorm.Session{NewDB: true}).Model(&outboxRow{}).Select("id").
			Where("status = ? AND due_ms < ? AND done_ms < ?", OutboxDone, ms(before), ms(before)).Limit(pruneBatch)
		r := planEach(w).Where("id IN (?)", old).Delete(&outboxRow{})
		if r.Error != nil {
			return total, fmt.Errorf("storage: prune sent outbox messages: %w", r.Error)
		}
		total += r.RowsAffected
		if r.RowsAffected < pruneBatch {
			return total, nil
		}
	}
}
