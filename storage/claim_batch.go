package storage

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/handoff/handoff"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// claimItem is one claim waiting for the committer of claims, and its
// outcome: the lead as the claim left it (nil when there is no such lead)
// and whether it won.
type claimItem struct {
	id      int64
	step    int // the routing step the claim holds at, or anyStep
	owner   handoff.Owner
	at      time.Time
	actor   string
	hooks   []handoff.WebhookRoute
	welcome func(*handoff.Lead) []handoff.OutboxMessage // messages for the claimed lead, or nil
	// read is the lead's row as read before the claim was queued, and
	// readClaim the claim decided on it (with welcome's messages), used
	// when the writer finds the row unchanged; either may be nil.
	read      *leadRow
	readClaim *readClaim

	lead *handoff.Lead
	won  bool
}

// readClaim is a claim decided outside the writer: the claimed lead and
// its change.
type readClaim struct {
	lead   *handoff.Lead
	change handoff.LeadChange
}

// claim queues one claim and waits for its outcome.
func (g *groupCommitter) claim(ctx context.Context, item *claimItem) error {
	return g.enqueue(ctx, writeJob{claim: item, done: make(chan error, 1)})
}

// claimJobs runs every claim of the group as one batch: one read of the
// leads, a conditional UPDATE per claim, and the won claims' rollup,
// events and outbox messages written together, without a savepoint per
// claim. A claim's own failure (a lead row that does not decode) is its
// error alone; a batch that fails as a whole is rolled back and its claims
// run again alone, as inBatch does for saves.
func claimJobs(tx *gorm.DB, group []writeJob, errs []error) error {
	var idx []int
	var items []*claimItem
	for i, job := range group {
		if job.claim != nil {
			idx = append(idx, i)
			items = append(items, job.claim)
		}
	}
	if len(items) == 0 {
		return nil
	}
	return inBatch(tx, "claims", len(idx) == len(group), idx, errs, func() error {
		itemErrs, err := claimBatchInTx(tx, items)
		if err != nil {
			return err
		}
		for k, i := range idx {
			errs[i] = itemErrs[k]
		}
		return nil
	})
}

// claimBatchInTx claims items in order in tx, filling each item's outcome;
// of several claims of one lead the first that can wins. The returned
// error is the batch's; errs are the items' own.
func claimBatchInTx(tx *gorm.DB, items []*claimItem) (errs []error, err error) {
	ids := make([]int64, len(items))
	for i, it := range items {
		it.lead, it.won = nil, false
		ids[i] = it.id
	}
	rows, err := lockLeadRowsByID(tx, ids)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]*leadRow, len(rows))
	for i := range rows {
		byID[rows[i].ID] = &rows[i]
	}
	errs = make([]error, len(items))
	claimed := map[int64]bool{} // leads won earlier in the batch
	var rollups []leadRollup
	var events []eventRow
	var outbox []outboxRow
	for i, it := range items {
		row := byID[it.id]
		if row == nil || claimed[it.id] {
			continue // no such lead, or a claim before this one won it
		}
		lead, change, ok, err := it.decide(row)
		if err != nil {
			errs[i] = err
			continue
		}
		if !ok {
			continue
		}
		seq := it.step
		if seq == anyStep {
			seq = row.OfferSeq
		}
		q, args := claimUpdate(tx.Dialector.Name(), it.owner, it.at, it.id, seq)
		r, err := tx.Statement.ConnPool.ExecContext(tx.Statement.Context, q, args...)
		if err != nil {
			return nil, err
		}
		if n, err := r.RowsAffected(); err != nil || n == 0 {
			if err != nil {
				return nil, err
			}
			continue
		}
		claimed[it.id] = true
		it.lead, it.won = lead, true
		evs := make([]eventRow, len(change.Events))
		for k, e := range change.Events {
			if evs[k], err = newEventRow(it.id, e); err != nil {
				return nil, err
			}
		}
		before := rowKeys(*row) // unclaimed: the claim adds its wait
		rollups = append(rollups, leadRollup{id: it.id, old: &before, new: leadKeys(lead), events: evs})
		events = append(events, evs...)
		hooks, err := webhookMessages(it.hooks, it.id, change.Events, it.at)
		if err != nil {
			return nil, err
		}
		outbox = append(outbox, hooks...)
		outbox = append(outbox, outboxRows(it.at, change.Outbox)...)
	}
	if len(rollups) == 0 {
		return errs, nil
	}
	if err := updateRollup(tx, rollups); err != nil {
		return nil, err
	}
	return errs, execWrites(tx, []tableWrite{eventsWrite(events), outboxWrite(outbox)})
}

// decide is the claim of the lead whose row the writer read: the one
// decided before the claim was queued when the row has not changed since,
// else decided now. ok is false when the lead cannot be claimed.
func (it *claimItem) decide(row *leadRow) (lead *handoff.Lead, change handoff.LeadChange, ok bool, err error) {
	if it.readClaim != nil && sameLeadRow(it.read, row) {
		return it.readClaim.lead, it.readClaim.change, true, nil
	}
	if lead, err = row.toLead(); err != nil {
		return nil, change, false, err
	}
	if change, ok = lead.Claim(it.owner, it.at, it.actor); ok && it.welcome != nil {
		change.Outbox = append(change.Outbox, it.welcome(lead)...)
	}
	return lead, change, ok, nil
}

// sameLeadRow reports whether two rows of leads hold the same values.
func sameLeadRow(a, b *leadRow) bool {
	fa, fb := a.fields(), b.fields()
	for i := range fa {
		if deref(fa[i]) != deref(fb[i]) {
			return false
		}
	}
	return true
}

// claimUpdate is the claim's conditional UPDATE of lead id at routing step
// seq (claimColumns) in dialect, with its args: the statement is the same
// for every claim (claimUpdateSQL), so only the args are built per claim.
func claimUpdate(dialect string, owner handoff.Owner, at time.Time, id int64, seq int) (string, []any) {
	cols := claimColumns(owner, at)
	args := make([]any, 0, claimUpdateArgs)
	for _, name := range claimUpdateCols {
		if e, isExpr := cols[name].(clause.Expr); isExpr {
			args = append(args, e.Vars...)
			continue
		}
		args = append(args, cols[name])
	}
	q := claimUpdateSQL
	if dialect == DialectPostgres {
		q = claimUpdatePG
	}
	return q, append(args, id, string(handoff.StageSQL), seq)
}

// claimUpdateSQL is claimUpdate's statement with SQLite's bind variables
// and claimUpdatePG with PostgreSQL's, setting claimUpdateCols (the
// columns of claimColumns in name order); claimUpdateArgs is how many args
// it takes.
var claimUpdateSQL, claimUpdatePG, claimUpdateCols, claimUpdateArgs = func() (string, string, []string, int) {
	cols := claimColumns(handoff.Owner{}, time.Time{})
	names := slices.Sorted(maps.Keys(cols))
	var b strings.Builder
	b.WriteString("UPDATE leads SET ")
	for i, name := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		if e, isExpr := cols[name].(clause.Expr); isExpr {
			b.WriteString(name + " = " + e.SQL)
			continue
		}
		b.WriteString(name + " = ?")
	}
	b.WriteString(" WHERE id = ? AND stage = ? AND offer_seq = ?")
	q := b.String()
	var pg strings.Builder
	n := 0
	for _, part := range strings.SplitAfter(q, "?") {
		if strings.HasSuffix(part, "?") {
			n++
			part = strings.TrimSuffix(part, "?") + "$" + strconv.Itoa(n)
		}
		pg.WriteString(part)
	}
	return q, pg.String(), names, n
}()
