package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/handoff/handoff"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// nextDecayDueSQL reads the first entry of idx_leads_next_decay_set (see
// sparseIndexes): the index holds only the leads whose score decays.
const nextDecayDueSQL = `SELECT MIN(next_decay_ms) AS due FROM leads WHERE next_decay_ms IS NOT NULL`

// NextDecayDue returns the earliest time a lead's score changes by time
// alone (Lead.NextDecayAt, found by index), and false when none will.
// The scheduler wakes then to rescore it.
func (s *Store) NextDecayDue(ctx context.Context) (time.Time, bool, error) {
	var next struct{ Due *int64 }
	if err := s.db.WithContext(ctx).Raw(nextDecayDueSQL).Scan(&next).Error; err != nil {
		return time.Time{}, false, fmt.Errorf("storage: next decay due: %w", err)
	}
	if next.Due == nil {
		return time.Time{}, false, nil
	}
	return fromMs(*next.Due), true, nil
}

// RescoreDecayed rescores, at now, up to limit leads whose next decay
// boundary has passed (found by index, no scan of all leads): their stored
// score and explanation follow the activities that still count, their
// cards are refreshed through the outbox (a lead.refresh message) when the
// score changed, and their next boundary is stored. Decay lowers a score
// but never moves a lead back (Lead.Rescore). Without scoring, or without
// decay, the boundaries are cleared. It returns how many leads it looked
// at and those it could not rescore (their boundary is cleared, so they
// are not tried again until they change); the error is for the database.
func (s *Store) RescoreDecayed(ctx context.Context, now time.Time, policy handoff.Policy, limit int) (int, []handoff.Parked, error) {
	var (
		seen   int
		parked []handoff.Parked
		queued int
	)
	err := s.write.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		seen, parked, queued = 0, nil, 0 // a retried transaction starts over
		q := tx.Where("next_decay_ms <= ?", ms(now)).Order("next_decay_ms, id").Limit(limit)
		if s.dialect == DialectPostgres {
			q = q.Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"})
		}
		var rows []leadRow
		if err := q.Find(&rows).Error; err != nil {
			return err
		}
		seen = len(rows)
		if len(rows) == 0 {
			return nil
		}
		if policy.Scoring == nil {
			ids := make([]int64, len(rows))
			for i, r := range rows {
				ids[i] = r.ID
			}
			return clearNextDecay(tx, ids)
		}
		for _, row := range rows {
			var n int
			err := isolate(ctx, tx, func(tx *gorm.DB) (err error) {
				n, err = s.rescoreLead(tx, row, now, policy)
				return err
			})
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if err != nil {
				parked = append(parked, handoff.Parked{ID: row.ID, Cause: err.Error()})
				if err := tx.Model(&leadRow{}).Where("id = ?", row.ID).Update("next_decay_ms", nil).Error; err != nil {
					return fmt.Errorf("set lead %d aside: %w", row.ID, err)
				}
				continue
			}
			queued += n
		}
		return nil
	})
	if err != nil {
		return 0, nil, fmt.Errorf("storage: rescore decayed leads: %w", err)
	}
	s.queued(queued)
	return seen, parked, nil
}

// rescoreLead rescores one lead in tx and returns how many messages it
// queued.
func (s *Store) rescoreLead(tx *gorm.DB, row leadRow, now time.Time, policy handoff.Policy) (int, error) {
	lead, err := row.toLead()
	if err != nil {
		return 0, err
	}
	acts, err := activitiesOf(tx, []int64{lead.ID}, policy.Scoring, now)
	if err != nil {
		return 0, err
	}
	_, changed, change := lead.Rescore(acts[lead.ID], now, policy)
	if !changed {
		return 0, tx.Model(&leadRow{}).Where("id = ?", lead.ID).Update("next_decay_ms", msPtr(lead.NextDecayAt)).Error
	}
	if len(change.Events) > 0 {
		lead.UpdatedAt = now // a promotion; a lower score alone is no change of the lead's
	}
	if err := updateLeadRow(tx, lead); err != nil {
		return 0, err
	}
	if err := saveCredits(tx, change.Credits, now); err != nil {
		return 0, err
	}
	if err := rollupLeadChange(tx, row, lead); err != nil {
		return 0, err
	}
	if _, err := s.insertEvents(tx, lead.ID, leadKeys(lead), change.Events, now); err != nil {
		return 0, err
	}
	return len(change.Outbox), insertOutbox(tx, now, change.Outbox...)
}

// clearNextDecay clears the next decay boundary of the leads of ids (one
// array, planned at each execution, on PostgreSQL: leadsOfIDs).
func clearNextDecay(tx *gorm.DB, ids []int64) error {
	cond, arg := leadsOfIDs.in(tx.Dialector.Name(), ids)
	return planEach(tx).Model(&leadRow{}).Where(cond, arg).Update("next_decay_ms", nil).Error
}
