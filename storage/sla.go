package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/handoff/handoff"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// dueSLAWhere selects leads on which the SLA clock has something to do at ?.
const dueSLAWhere = `(stage = 'sql' AND claim_escalated_ms IS NULL AND claim_due_ms <= @now)
	OR (stage IN ('sql', 'claimed') AND contact_escalated_ms IS NULL AND contact_due_ms <= @now)
	OR (stage = 'claimed' AND next_remind_ms <= @now)`

// NextSLADue returns the earliest SLA deadline or reminder still to act on,
// and false when none is pending. The scheduler sleeps until then.
func (s *Store) NextSLADue(ctx context.Context) (time.Time, bool, error) {
	var next struct{ Due *int64 }
	err := s.db.WithContext(ctx).Raw(`SELECT MIN(due) AS due FROM (
		SELECT MIN(claim_due_ms) AS due FROM leads WHERE stage = 'sql' AND claim_escalated_ms IS NULL
		UNION ALL SELECT MIN(contact_due_ms) FROM leads WHERE stage IN ('sql', 'claimed') AND contact_escalated_ms IS NULL
		UNION ALL SELECT MIN(next_remind_ms) FROM leads WHERE stage = 'claimed'
	) d`).Scan(&next).Error
	if err != nil {
		return time.Time{}, false, fmt.Errorf("storage: next SLA due: %w", err)
	}
	if next.Due == nil {
		return time.Time{}, false, nil
	}
	return fromMs(*next.Due), true, nil
}

// FireSLA ticks the SLA clock of up to limit due leads at now: it records
// breaches, reminders and releases as events, queues the reminder and
// escalation messages, and marks what fired, all in one transaction, so a
// reminder or escalation is queued exactly once even across restarts and
// replicas. It returns the actions taken.
func (s *Store) FireSLA(ctx context.Context, now time.Time, policy handoff.Policy, limit int) ([]handoff.SLAAction, error) {
	var fired []handoff.SLAAction
	queued := 0
	err := s.write.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		q := tx.Where(dueSLAWhere, map[string]any{"now": ms(now)}).Order("id").Limit(limit)
		if s.dialect == DialectPostgres {
			q = q.Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"})
		}
		var rows []leadRow
		if err := q.Find(&rows).Error; err != nil {
			return err
		}
		for _, row := range rows {
			lead, err := row.toLead()
			if err != nil {
				return err
			}
			change, actions, err := lead.FireSLA(now, policy)
			if err != nil {
				return err
			}
			if len(actions) == 0 {
				continue
			}
			lead.UpdatedAt = now
			if err := updateLeadRow(tx, lead); err != nil {
				return err
			}
			if _, err := insertEvents(tx, lead.ID, change.Events); err != nil {
				return err
			}
			if err := insertOutbox(tx, now, change.Outbox...); err != nil {
				return err
			}
			queued += len(change.Outbox)
			fired = append(fired, actions...)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("storage: fire SLA timers: %w", err)
	}
	s.queued(queued)
	return fired, nil
}
