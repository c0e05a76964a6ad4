package storage

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/handoff/handoff"
	"gorm.io/gorm"
)

// slaFiring is one lead's SLA tick as decided on its row: the row as
// read, the lead after the tick, its change and the actions taken (none
// when the tick only moved a deadline on).
type slaFiring struct {
	row     *leadRow
	lead    *handoff.Lead
	change  handoff.LeadChange
	actions []handoff.SLAAction
}

// decideSLA ticks the SLA clock of the lead row holds at now, in memory,
// and leaves out of its change the messages of the kinds unsent, which no
// replica delivers (FireSLA). It returns a zero slaFiring (lead nil) when
// the tick changes nothing, and an error, a panic's included, when the
// lead cannot be processed (it is parked).
func decideSLA(row *leadRow, now time.Time, policy handoff.Policy, unsent []string) (f slaFiring, err error) {
	defer func() {
		if p := recover(); p != nil {
			f, err = slaFiring{}, fmt.Errorf("panic: %v", p)
		}
	}()
	lead, err := row.toLead()
	if err != nil {
		return slaFiring{}, err
	}
	claimDue, remind := lead.ClaimDueAt, lead.NextReminderAt
	change, actions, err := lead.FireSLA(now, policy)
	if err != nil {
		return slaFiring{}, err
	}
	if len(actions) == 0 {
		if sameTime(claimDue, lead.ClaimDueAt) && sameTime(remind, lead.NextReminderAt) {
			return slaFiring{}, nil
		}
		// Only a deadline moved on: the claim deadline of a card not
		// shown yet (excused system delay), or the reminder of a lead
		// claimed after it fell due, which is not sent. Left as it was,
		// the lead would be due again at once, tick after tick.
		return slaFiring{row: row, lead: lead}, nil
	}
	change.Outbox = slices.DeleteFunc(change.Outbox, func(m handoff.OutboxMessage) bool { return slices.Contains(unsent, m.Kind) })
	lead.UpdatedAt = now
	return slaFiring{row: row, lead: lead, change: change, actions: actions}, nil
}

// fireSLABatch writes firings in tx in a savepoint (writeSLAFirings) and
// returns how many messages they queued; when that fails (a panic
// included) it undoes their writes and returns the error, and tx goes on.
func (s *Store) fireSLABatch(ctx context.Context, tx *gorm.DB, firings []slaFiring, now time.Time) (queued int, err error) {
	if len(firings) == 0 {
		return 0, nil
	}
	const savepoint = "sla_batch"
	if err := tx.SavePoint(savepoint).Error; err != nil {
		return 0, err
	}
	func() {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("panic: %v", p)
			}
		}()
		queued, err = s.writeSLAFirings(tx, firings, now)
	}()
	if err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		if rbErr := tx.RollbackTo(savepoint).Error; rbErr != nil {
			return 0, rbErr
		}
		return 0, fmt.Errorf("sla batch: %w", err)
	}
	return queued, tx.Exec("RELEASE SAVEPOINT " + savepoint).Error
}

// writeSLAFirings writes what the ticks of firings did, set-based: the
// leads' SLA columns (slaUpdates; a tick that changed other columns too,
// a release, writes its lead's row whole), the reps' credits, the rollup,
// the events, the SLA cycles they end and the outbox messages (the
// webhooks' first, as insertEvents queues them), a statement or two each
// for the whole batch. It returns how many chat messages it queued.
func (s *Store) writeSLAFirings(tx *gorm.DB, firings []slaFiring, now time.Time) (int, error) {
	var (
		slaRows []leadRow
		rollups []leadRollup
		events  []eventRow
		cycles  []slaCycleRow
		outbox  []outboxRow
		credits map[string]int64
		queued  int
	)
	for _, f := range firings {
		row, err := leadToRow(f.lead)
		if err != nil {
			return 0, err
		}
		if onlySLAColumnsDiffer(f.row, &row) {
			slaRows = append(slaRows, row)
		} else if err := updateLeadRow(tx, f.lead); err != nil {
			return 0, err
		}
		if len(f.actions) == 0 {
			continue // a deadline moved on: the lead's row alone
		}
		id := f.lead.ID
		evs := make([]eventRow, len(f.change.Events))
		for k, e := range f.change.Events {
			if evs[k], err = newEventRow(id, e); err != nil {
				return 0, err
			}
		}
		before := rowKeys(*f.row)
		rollups = append(rollups, leadRollup{id: id, old: &before, new: leadKeys(f.lead), events: evs})
		events = append(events, evs...)
		cycles = append(cycles, cycleRows(id, f.change.Events)...)
		hooks, err := webhookMessages(s.hooks, id, f.change.Events, now)
		if err != nil {
			return 0, err
		}
		outbox = append(outbox, hooks...)
		outbox = append(outbox, outboxRows(now, f.change.Outbox)...)
		queued += len(f.change.Outbox)
		if len(f.change.Credits) > 0 {
			credits = sumCredits(credits, f.change.Credits)
		}
	}
	if err := slaUpdates(tx, slaRows); err != nil {
		return 0, err
	}
	if credits != nil {
		if err := saveCredits(tx, credits, now); err != nil {
			return 0, err
		}
	}
	if len(rollups) > 0 {
		if err := updateRollup(tx, rollups); err != nil {
			return 0, err
		}
	}
	if err := execWrites(tx, []tableWrite{eventsWrite(events), cyclesWrite(cycles), outboxWrite(outbox)}); err != nil {
		return 0, err
	}
	return queued, nil
}

// slaColumns are the columns of leads an SLA tick that releases nothing
// changes (handoff.Lead.TickSLA), in leadRow.fields' order: the deadlines
// it moves on, the breach, what fired, the lead's last save and when a
// deadline was set.
var slaColumns = []string{"claim_due_ms", "sla_breached", "next_remind_ms", "claim_escalated_ms", "contact_escalated_ms", "updated_ms", "sla_set_ms"}

// slaColumnIndex are the indexes in leadRow.fields of slaColumns, and
// unwrittenIndex of the columns updateLeadRow leaves as they are.
var slaColumnIndex, unwrittenIndex = fieldIndexes(slaColumns...), fieldIndexes("id", "erased_ms", "erased_key", "created_ms")

// fieldIndexes are the indexes in leadRow.fields of the columns cols, in
// that order.
func fieldIndexes(cols ...string) map[int]bool {
	all := append([]string{"id"}, leadColumns...)
	out := make(map[int]bool, len(cols))
	last := -1
	for _, c := range cols {
		i := slices.Index(all, c)
		if i <= last {
			panic("storage: column " + c + " not in leadColumns, or out of their order")
		}
		out[i], last = true, i
	}
	return out
}

// onlySLAColumnsDiffer reports whether row after, as updateLeadRow would
// write it, differs from row before in slaColumns alone, so that writing
// those (slaUpdates) leaves the same row.
func onlySLAColumnsDiffer(before, after *leadRow) bool {
	fb, fa := before.fields(), after.fields()
	for i := range fb {
		if !slaColumnIndex[i] && !unwrittenIndex[i] && deref(fb[i]) != deref(fa[i]) {
			return false
		}
	}
	return true
}

// slaArgs are row's values of slaColumns, then its id.
func slaArgs(row *leadRow) []any {
	fields := row.fields()
	args := make([]any, 0, len(slaColumns)+1)
	for i := range fields {
		if slaColumnIndex[i] {
			args = append(args, deref(fields[i]))
		}
	}
	return append(args, row.ID)
}

// slaUpdateSQLite is the UPDATE of one lead's slaColumns on SQLite, with
// slaArgs.
var slaUpdateSQLite = "UPDATE leads SET " + strings.Join(slaColumns, " = ?, ") + " = ? WHERE id = ?"

// slaUpdates writes the slaColumns of rows to their leads: on SQLite one
// short UPDATE a lead, on PostgreSQL one UPDATE for all, the values an
// array per column (pgUnnest), its text the same whatever the number of
// leads and planned at each execution (pgPlanEach).
func slaUpdates(tx *gorm.DB, rows []leadRow) error {
	if len(rows) == 0 {
		return nil
	}
	ctx, db := tx.Statement.Context, tx.Statement.ConnPool
	if tx.Dialector.Name() != DialectPostgres {
		for i := range rows {
			if _, err := db.ExecContext(ctx, slaUpdateSQLite, slaArgs(&rows[i])...); err != nil {
				return fmt.Errorf("update leads' SLA timers: %w", err)
			}
		}
		return nil
	}
	cols := append(slices.Clone(slaColumns), "id")
	set, args, err := pgUnnest("leads", cols, len(rows), func(i int) []any { return slaArgs(&rows[i]) }, nil)
	if err != nil {
		return fmt.Errorf("update leads' SLA timers: %w", err)
	}
	assign := make([]string, len(cols)-1)
	for i, c := range cols[:len(cols)-1] {
		assign[i] = c + " = v." + c
	}
	q := "UPDATE leads SET " + strings.Join(assign, ", ") + " FROM (" + set + ") AS v(" + strings.Join(cols, ", ") + ") WHERE leads.id = v.id"
	if _, err := db.ExecContext(ctx, q, append([]any{pgPlanEach}, args...)...); err != nil {
		return fmt.Errorf("update leads' SLA timers: %w", err)
	}
	return nil
}
