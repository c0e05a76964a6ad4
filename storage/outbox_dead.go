package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/handoff/handoff"
	"gorm.io/gorm"
)

// DeadOutbox lists the dead outbox messages (given up after a permanent
// error or after retrying past the deadline), oldest first, at most limit
// of them (all when limit <= 0).
func (s *Store) DeadOutbox(ctx context.Context, limit int) ([]handoff.OutboxMessage, error) {
	var rows []outboxRow
	q := s.db.WithContext(ctx).Where("status = ?", OutboxDead).Order("id")
	if limit > 0 {
		q = q.Limit(limit)
	}
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("storage: list dead outbox: %w", err)
	}
	return outboxMessages(rows), nil
}

// deadRows selects the dead messages with the given ids, or every dead
// message when ids is empty. On PostgreSQL the ids are one array, so the
// statement's text does not depend on how many there are.
func deadRows(tx *gorm.DB, ids []int64) *gorm.DB {
	q := tx.Model(&outboxRow{}).Where("status = ?", OutboxDead)
	if len(ids) > 0 {
		q = q.Where(outboxOfIDs.in(tx.Dialector.Name(), ids))
	}
	return q
}

// RetryDeadOutbox queues dead messages again, due at now, requeued at now
// (OutboxMessage.Requeued): a fresh count of attempts and a new give-up
// period from now, its creation time kept, so that the post of an earlier
// attempt is still looked for. It queues those with the given ids, or
// every dead message when ids is empty. Messages that are not dead are
// left alone. It returns how many it queued.
func (s *Store) RetryDeadOutbox(ctx context.Context, now time.Time, ids ...int64) (int64, error) {
	n, err := s.requeueDead(ctx, now, func(tx *gorm.DB) *gorm.DB { return deadRows(tx, ids) })
	if err != nil {
		return 0, fmt.Errorf("storage: retry dead outbox: %w", err)
	}
	return n, nil
}

// RetryRefusedOutbox queues again, as RetryDeadOutbox does, the dead
// messages that place refused (handoff.OutboxOutcome.RefusedBy), now that
// the app is back there, and returns how many. Given platforms, it queues
// only those for one of them or for every platform.
func (s *Store) RetryRefusedOutbox(ctx context.Context, place string, now time.Time, platforms ...string) (int64, error) {
	if place == "" {
		return 0, nil
	}
	n, err := s.requeueDead(ctx, now, func(tx *gorm.DB) *gorm.DB {
		q := tx.Model(&outboxRow{}).Where("status = ? AND refused_by = ?", OutboxDead, place)
		if len(platforms) > 0 {
			q = q.Where("platform = '' OR platform IN ?", platforms)
		}
		return q
	})
	if err != nil {
		return 0, fmt.Errorf("storage: retry the outbox messages %s refused: %w", place, err)
	}
	return n, nil
}

// RefusedPlaces lists, in order, the places (channels, Teams teams) whose
// refusal gave up a message still dead (RetryRefusedOutbox).
func (s *Store) RefusedPlaces(ctx context.Context) ([]string, error) {
	var places []string
	err := s.db.WithContext(ctx).Model(&outboxRow{}).Where("status = ? AND refused_by <> ''", OutboxDead).
		Distinct("refused_by").Order("refused_by").Pluck("refused_by", &places).Error
	if err != nil {
		return nil, fmt.Errorf("storage: list the places that refused outbox messages: %w", err)
	}
	return places, nil
}

// requeueDead queues the dead messages that rows selects again, due at now.
func (s *Store) requeueDead(ctx context.Context, now time.Time, rows func(tx *gorm.DB) *gorm.DB) (int64, error) {
	var n int64
	err := s.tx(ctx, func(tx *gorm.DB) error {
		r := rows(tx).Updates(map[string]any{
			"status": OutboxPending, "due_ms": ms(now), "requeued_ms": ms(now), "done_ms": nil,
			"locked_until_ms": 0, "locked_by": "", "attempts": 0, "refused_by": "", "not_before_ms": nil, "failing_since_ms": nil,
		})
		n = r.RowsAffected
		return r.Error
	})
	return n, err
}

// DropDeadOutbox deletes dead messages: those with the given ids, or every
// dead message when ids is empty. Messages that are not dead are left
// alone. It returns how many it deleted.
func (s *Store) DropDeadOutbox(ctx context.Context, ids ...int64) (int64, error) {
	var n int64
	err := s.tx(ctx, func(tx *gorm.DB) error {
		r := deadRows(tx, ids).Delete(&outboxRow{})
		n = r.RowsAffected
		return r.Error
	})
	if err != nil {
		return 0, fmt.Errorf("storage: drop dead outbox: %w", err)
	}
	return n, nil
}
