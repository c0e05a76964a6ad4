package storage

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/handoff/handoff"
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
// A key longer than handoff.MaxEventIDLen characters, the size of its
// column, is refused (EINVALID) on both databases alike.
func (s *Store) MarkProcessed(ctx context.Context, source, key string, now time.Time) (bool, error) {
	if utf8.RuneCountInString(key) > handoff.MaxEventIDLen { // PostgreSQL's column refuses it; SQLite's would keep it
		return false, handoff.Errorf(handoff.EINVALID, "%s event id is longer than %d characters", source, handoff.MaxEventIDLen)
	}
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

// EnqueueOnce is Enqueue for the chat work of a delivery that its platform
// may deliver again (a Teams Claim's refusal): the delivery is recorded
// as MarkProcessed records it, in the same commit, and a delivery recorded
// already (by this or by its claim, ClaimLeadIf) queues nothing. Without
// messages it records the delivery only (a Claim that changed nothing: its
// owner's), in the notices' commit. A zero delivery is Enqueue.
func (s *Store) EnqueueOnce(ctx context.Context, now time.Time, d handoff.Delivery, msgs ...handoff.OutboxMessage) error {
	if d.Key == "" {
		return s.Enqueue(ctx, now, msgs...)
	}
	job := writeJob{outbox: outboxRows(now, msgs), once: d, onceMs: ms(now)}
	insert := func() error {
		return s.tx(ctx, func(tx *gorm.DB) error { return insertOutboxOnce(tx, []writeJob{job}) })
	}
	if g := s.enqueuer; g != nil { // with the other notices, in one statement; nil once closed
		job.done = make(chan error, 1)
		insert = func() error { return g.enqueue(ctx, job) }
	}
	if err := insert(); err != nil {
		return fmt.Errorf("storage: enqueue %d messages of %s delivery %q: %w", len(msgs), d.Source, d.Key, err)
	}
	s.queued(len(msgs)) // a wake for nothing when the delivery was recorded already
	return nil
}

// processedKeys is the condition on processed_events' keys.
var processedKeys = newInList("processed_events", "key")

// seenDeliveries returns those of ds recorded already (the zero ones are
// never).
func seenDeliveries(tx *gorm.DB, ds []handoff.Delivery) (map[handoff.Delivery]bool, error) {
	bySource := map[string][]string{}
	for _, d := range ds {
		if d.Key != "" {
			bySource[d.Source] = append(bySource[d.Source], d.Key)
		}
	}
	seen := map[handoff.Delivery]bool{}
	for source, keys := range bySource {
		var found []string
		cond, arg := processedKeys.in(tx.Dialector.Name(), keys)
		if err := planEach(tx).Model(&processedEventRow{}).Where("source = ?", source).Where(cond, arg).Pluck("key", &found).Error; err != nil {
			return nil, fmt.Errorf("read processed events: %w", err)
		}
		for _, k := range found {
			seen[handoff.Delivery{Source: source, Key: k}] = true
		}
	}
	return seen, nil
}

// recordNewDeliveries records the deliveries of rows and returns those it
// recorded: not one recorded already, nor a second of rows.
func recordNewDeliveries(tx *gorm.DB, rows []processedEventRow) (map[handoff.Delivery]bool, error) {
	added := map[handoff.Delivery]bool{}
	chunk := insertChunk(tx)
	for start := 0; start < len(rows); start += chunk {
		part := rows[start:min(start+chunk, len(rows))]
		q, args, err := insertSQL(tx, "processed_events", processedCols, " ON CONFLICT (source, key) DO NOTHING RETURNING source, key", len(part),
			func(i int) []any { return []any{part[i].Source, part[i].Key, part[i].CreatedMs} })
		if err != nil {
			return nil, err
		}
		rs, err := tx.Statement.ConnPool.QueryContext(tx.Statement.Context, q, args...)
		if err != nil {
			return nil, fmt.Errorf("record deliveries: %w", err)
		}
		for rs.Next() {
			var d handoff.Delivery
			if err := rs.Scan(&d.Source, &d.Key); err != nil {
				rs.Close()
				return nil, err
			}
			added[d] = true
		}
		if err := errors.Join(rs.Err(), rs.Close()); err != nil {
			return nil, fmt.Errorf("record deliveries: %w", err)
		}
	}
	return added, nil
}

// processedCols are the columns a delivery is recorded with.
var processedCols = []string{"source", "key", "created_ms"}

// recordDeliveries records the deliveries of rows, leaving one recorded
// already as it is.
func recordDeliveries(tx *gorm.DB, rows []processedEventRow) error {
	return insertRowsThen(tx, "processed_events", processedCols, " ON CONFLICT (source, key) DO NOTHING", len(rows),
		func(i int) []any { return []any{rows[i].Source, rows[i].Key, rows[i].CreatedMs} })
}
