package storage

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/handoff/handoff"
	"gorm.io/gorm"
)

// The SLA clock's three timers, each pending on a lead while its condition
// holds: Lead.NextSLADue written in SQL. Each has a partial index of the
// pending leads ordered by due time (slaIndexes), so that finding the next
// due time or the due leads reads only the index entries due, never every
// open lead. A query must repeat the condition word for word for the
// databases to use the partial index. TestRulesWrittenTwiceAgree runs the
// Go and the SQL rule on the same cases.
const (
	claimPending   = "stage = 'sql' AND claim_escalated_ms IS NULL AND parked_ms IS NULL"
	contactPending = "stage IN ('sql', 'claimed') AND contact_escalated_ms IS NULL AND parked_ms IS NULL"
	remindPending  = "stage = 'claimed' AND parked_ms IS NULL AND next_remind_ms IS NOT NULL"
)

// slaIndexes are the partial indexes of pending timers. They hold only open
// leads, so they stay small however many leads are closed. The reminders'
// holds only the claimed leads with a reminder to come, so that a claim
// without one writes no entry; earlier versions' idx_leads_sla_remind held
// every claimed lead.
var slaIndexes = []string{
	"CREATE INDEX IF NOT EXISTS idx_leads_sla_claim ON leads (claim_due_ms) WHERE " + claimPending,
	"CREATE INDEX IF NOT EXISTS idx_leads_sla_contact ON leads (contact_due_ms) WHERE " + contactPending,
	"DROP INDEX IF EXISTS idx_leads_sla_remind",
	"CREATE INDEX IF NOT EXISTS idx_leads_sla_remind_set ON leads (next_remind_ms) WHERE " + remindPending,
}

// slaIndex names each timer's partial index.
var slaIndex = map[string]string{"claim": "idx_leads_sla_claim", "contact": "idx_leads_sla_contact", "remind": "idx_leads_sla_remind_set"}

// dueSLAIDs selects the ids of up to @limit leads per timer on which the SLA
// clock has something to do at @now, earliest due first: three index range
// reads, however many leads are open.
func dueSLAIDs(dialect string) string {
	return `SELECT id FROM (SELECT id FROM leads` + slaHint(dialect, "claim") + ` WHERE ` + claimPending + ` AND claim_due_ms <= @now ORDER BY claim_due_ms LIMIT @limit) c
	UNION SELECT id FROM (SELECT id FROM leads` + slaHint(dialect, "contact") + ` WHERE ` + contactPending + ` AND contact_due_ms <= @now ORDER BY contact_due_ms LIMIT @limit) t
	UNION SELECT id FROM (SELECT id FROM leads` + slaHint(dialect, "remind") + ` WHERE ` + remindPending + ` AND next_remind_ms <= @now ORDER BY next_remind_ms LIMIT @limit) r`
}

// dueSLALeads is the condition, for queryLeadRows (the store's own SQL,
// not GORM's reflection), of up to $2 leads on which the SLA clock has
// something to do at $1 (dueSLAIDs), in id order, with the dialect's
// numbered bind variables; on PostgreSQL it locks them, skipping those
// another replica's batch holds (SKIP LOCKED).
func dueSLALeads(dialect string) string {
	now, limit, lock := "?1", "?2", ""
	if dialect == DialectPostgres {
		now, limit, lock = "$1", "$2", " FOR UPDATE SKIP LOCKED"
	}
	return "id IN (" + strings.NewReplacer("@now", now, "@limit", limit).Replace(dueSLAIDs(dialect)) + ") ORDER BY id LIMIT " + limit + lock
}

// nextSLADue is the earliest due time of the three timers: the first entry
// of each partial index. Each is read with ORDER BY and LIMIT 1 rather than
// MIN, which PostgreSQL answers by reading the whole index when its
// statistics are stale (after a large import).
func nextSLADue(dialect string) string {
	first := func(col, timer, pending string) string {
		return `SELECT due FROM (SELECT ` + col + ` AS due FROM leads` + slaHint(dialect, timer) + ` WHERE ` + pending +
			` AND ` + col + ` IS NOT NULL ORDER BY ` + col + ` LIMIT 1) ` + timer[:1]
	}
	return `SELECT MIN(due) AS due FROM (` + first("claim_due_ms", "claim", claimPending) +
		` UNION ALL ` + first("contact_due_ms", "contact", contactPending) +
		` UNION ALL ` + first("next_remind_ms", "remind", remindPending) + `) d`
}

// slaHint names the timer's partial index on SQLite, whose planner without
// statistics prefers the index on stage: every open lead. PostgreSQL
// picks the partial index by itself.
func slaHint(dialect, timer string) string {
	if dialect == DialectPostgres {
		return ""
	}
	return " INDEXED BY " + slaIndex[timer]
}

// NextSLADue returns the earliest SLA deadline or reminder still to act on,
// and false when none is pending (the minimum of Lead.NextSLADue over all
// leads, in SQL). The scheduler
// sleeps until then.
func (s *Store) NextSLADue(ctx context.Context) (time.Time, bool, error) {
	return s.nextDue(ctx, nextSLADue(s.dialect), "SLA")
}

// nextDue reads the due time that query selects as due (NULL when none is
// pending), for the clock named what.
func (s *Store) nextDue(ctx context.Context, query, what string) (time.Time, bool, error) {
	var next struct{ Due *int64 }
	err := s.db.WithContext(ctx).Raw(query).Scan(&next).Error
	if err != nil {
		return time.Time{}, false, fmt.Errorf("storage: next %s due: %w", what, err)
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
// replicas. It returns the actions taken, and the leads it parked: a lead
// whose clock cannot be processed (an error or a panic, e.g. data an older
// version stored) is set aside with the cause, its writes undone, and
// skipped from then on until it changes, while every other lead's timers
// fire. The error is for the database failing, never for one lead.
//
// unsent are the kinds of chat message no replica delivers (an escalation
// when no platform has a managers' channel: scheduler.Config's Unsent):
// the ticks record their events, refresh the cards and remind the owners
// as ever, and queue no message of those kinds, which the outbox would
// only have taken to mark skipped.
//
// The due leads are read and locked with one statement (dueSLALeads,
// through the store's own SQL; SKIP LOCKED on PostgreSQL: another
// replica's batch takes other leads), each lead's tick is decided on its
// row as read (handoff.Lead.FireSLA), and the batch's writes are
// set-based (fireSLABatch): one UPDATE of the SLA columns of every lead on
// PostgreSQL (one short one a lead on SQLite), one write of the rollup,
// one INSERT of the events and one of the outbox messages, a few
// statements a batch where each lead had a savepoint and four or more of
// its own. Should the batch's writes fail, they are undone and each lead
// is written alone in a savepoint, as before, so that one lead's failure
// parks only that lead.
func (s *Store) FireSLA(ctx context.Context, now time.Time, policy handoff.Policy, limit int, unsent ...string) ([]handoff.SLAAction, []handoff.Parked, error) {
	var (
		fired  []handoff.SLAAction
		parked []handoff.Parked
		queued int
	)
	err := s.write.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		fired, parked, queued = nil, nil, 0 // a retried transaction starts over
		args := []any{ms(now), limit}
		if s.dialect == DialectPostgres {
			args = append([]any{pgPlanEach}, args...)
		}
		rows, err := queryLeadRows(tx, nil, dueSLALeads(s.dialect), args)
		if err != nil {
			return err
		}
		var firings []slaFiring
		park := func(id int64, err error) {
			parked = append(parked, handoff.Parked{ID: id, Cause: err.Error()})
		}
		for i := range rows {
			f, err := decideSLA(&rows[i], now, policy, unsent)
			switch {
			case err != nil:
				park(rows[i].ID, err)
			case f.lead != nil:
				firings = append(firings, f)
			}
		}
		n, err := s.fireSLABatch(ctx, tx, firings, now)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err == nil {
			for _, f := range firings {
				fired = append(fired, f.actions...)
			}
			queued = n
		} else {
			// One lead's write failed the batch: each alone, so that only
			// that lead is parked.
			for _, f := range firings {
				err := isolate(ctx, tx, func(tx *gorm.DB) (err error) {
					n, err = s.writeSLAFirings(tx, []slaFiring{f}, now)
					return err
				})
				if ctx.Err() != nil {
					return ctx.Err()
				}
				if err != nil {
					park(f.row.ID, err)
					continue
				}
				fired = append(fired, f.actions...)
				queued += n
			}
		}
		for _, p := range parked {
			if err := tx.Model(&leadRow{}).Where("id = ?", p.ID).
				Updates(map[string]any{"parked_ms": ms(now), "parked_error": p.Cause}).Error; err != nil {
				return fmt.Errorf("park lead %d: %w", p.ID, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("storage: fire SLA timers: %w", err)
	}
	s.queued(queued)
	return fired, parked, nil
}

// sameTime reports whether a and b are both nil or the same instant.
func sameTime(a, b *time.Time) bool {
	return a == nil && b == nil || a != nil && b != nil && a.Equal(*b)
}
