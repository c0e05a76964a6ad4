package storage

import (
	"context"
	"fmt"
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
	policy  handoff.Policy // the agreement the claim is judged under (claimColumns)
	actor   string
	once    handoff.Delivery // the click's delivery, recorded when it wins; zero for none
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
// leads, a conditional UPDATE per claim (claimUpdates), and the won claims' rollup,
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
	seen, err := seenDeliveries(tx, itemDeliveries(items))
	if err != nil {
		return nil, err
	}
	errs = make([]error, len(items))
	// Each lead's first claim that can win it is written; the lead is read
	// in this transaction (locked on PostgreSQL, by the one writer on
	// SQLite), so its UPDATE finds the row as read.
	var chosen []claimUpdate
	taken := map[int64]bool{}
	for i, it := range items {
		row := byID[it.id]
		if row == nil || taken[it.id] || seen[it.once] {
			continue // no such lead, a claim before this one takes it, or a delivery again of a click handled
		}
		if it.step != anyStep && it.step != row.OfferSeq {
			continue // the offer the click saw moved on
		}
		lead, change, ok, err := it.decide(row)
		if err != nil {
			errs[i] = err
			continue
		}
		if !ok {
			continue
		}
		taken[it.id] = true
		chosen = append(chosen, claimUpdate{item: it, row: row, lead: lead, change: change, seq: row.OfferSeq})
	}
	won, err := claimUpdates(tx, chosen)
	if err != nil {
		return nil, err
	}
	var rollups []leadRollup
	var events []eventRow
	var outbox []outboxRow
	var deliveries []processedEventRow
	// Refunds of offers that another rep claimed (handoff.NewChange), at
	// the latest such claim's time: nil, and no statement, when none.
	var credits map[string]int64
	var creditsAt time.Time
	for _, c := range chosen {
		it, lead, change := c.item, c.lead, c.change
		if !won[it.id] {
			continue
		}
		it.lead, it.won = lead, true
		if it.once.Key != "" {
			deliveries = append(deliveries, processedEventRow{Source: it.once.Source, Key: it.once.Key, CreatedMs: ms(it.at)})
		}
		evs := make([]eventRow, len(change.Events))
		for k, e := range change.Events {
			if evs[k], err = newEventRow(it.id, e); err != nil {
				return nil, err
			}
		}
		before := rowKeys(*c.row) // unclaimed: the claim adds its wait
		rollups = append(rollups, leadRollup{id: it.id, old: &before, new: leadKeys(lead), events: evs})
		events = append(events, evs...)
		hooks, err := webhookMessages(it.hooks, it.id, change.Events, it.at)
		if err != nil {
			return nil, err
		}
		outbox = append(outbox, hooks...)
		outbox = append(outbox, outboxRows(it.at, change.Outbox)...)
		if len(change.Credits) > 0 {
			credits = sumCredits(credits, change.Credits)
			creditsAt = later(creditsAt, it.at)
		}
	}
	if len(rollups) == 0 {
		return errs, nil
	}
	if credits != nil {
		if err := saveCredits(tx, credits, creditsAt); err != nil {
			return nil, err
		}
	}
	if err := updateRollup(tx, rollups); err != nil {
		return nil, err
	}
	if err := execWrites(tx, []tableWrite{eventsWrite(events), outboxWrite(outbox)}); err != nil {
		return nil, err
	}
	return errs, recordDeliveries(tx, deliveries)
}

// itemDeliveries are the deliveries the items name (zero for none).
func itemDeliveries(items []*claimItem) []handoff.Delivery {
	ds := make([]handoff.Delivery, len(items))
	for i, it := range items {
		ds[i] = it.once
	}
	return ds
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
	if change, ok = lead.Claim(it.owner, it.at, it.policy, it.actor); ok && it.welcome != nil {
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

// claimUpdate is a claim a batch writes: its item, the lead's row as
// read, the claimed lead and its change, at routing step seq.
type claimUpdate struct {
	item   *claimItem
	row    *leadRow // as read, unclaimed
	lead   *handoff.Lead
	change handoff.LeadChange
	seq    int
}

// claimUpdates writes the conditional UPDATE of each claim (claimColumns)
// and returns the leads it changed: on SQLite one statement a claim, on
// PostgreSQL one statement for all, the claims' values in an array per
// bind variable (claimUpdatePG).
func claimUpdates(tx *gorm.DB, claims []claimUpdate) (map[int64]bool, error) {
	won := make(map[int64]bool, len(claims))
	if len(claims) == 0 {
		return won, nil
	}
	ctx, db := tx.Statement.Context, tx.Statement.ConnPool
	if tx.Dialector.Name() != DialectPostgres {
		for _, c := range claims {
			r, err := db.ExecContext(ctx, claimUpdateSQL, c.args()...)
			if err != nil {
				return nil, err
			}
			if n, err := r.RowsAffected(); err != nil {
				return nil, err
			} else if n > 0 {
				won[c.item.id] = true
			}
		}
		return won, nil
	}
	set, args, err := pgUnnestTyped(claimUpdateTypes, len(claims), func(i int) []any { return claims[i].args() }, nil)
	if err != nil {
		return nil, err
	}
	rows, err := db.QueryContext(ctx, claimUpdatePG(set), append([]any{pgPlanEach}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		won[id] = true
	}
	return won, rows.Err()
}

// args are the claim's args of claimUpdateSQL.
func (c claimUpdate) args() []any {
	cols := claimColumns(c.item.owner, c.item.at, c.item.policy)
	args := make([]any, 0, claimUpdateArgs)
	for _, name := range claimUpdateCols {
		if e, isExpr := cols[name].(clause.Expr); isExpr {
			args = append(args, e.Vars...)
			continue
		}
		args = append(args, cols[name])
	}
	return append(args, c.item.id, string(handoff.StageSQL), c.seq)
}

// claimUpdatePG is claimUpdateSQL for any number of claims in one
// PostgreSQL statement: each bind variable of claimUpdateSQL becomes a
// column of the query set (an array per column, of claimUpdateTypes,
// pgUnnestTyped), and the statement returns the ids of the leads it
// changed. Its text does not depend on the number of claims.
func claimUpdatePG(set string) string {
	var b strings.Builder
	b.WriteString("UPDATE leads SET ")
	k := 0
	for _, part := range strings.SplitAfter(claimUpdateSet, "?") {
		if strings.HasSuffix(part, "?") {
			k++
			part = strings.TrimSuffix(part, "?") + "v.a" + strconv.Itoa(k)
		}
		b.WriteString(part)
	}
	b.WriteString(" FROM (" + set + ") AS v(")
	for c := range claimUpdateArgs {
		if c > 0 {
			b.WriteString(", ")
		}
		b.WriteString("a" + strconv.Itoa(c+1))
	}
	// The WHERE's three args are the last three of each row.
	fmt.Fprintf(&b, ") WHERE leads.id = v.a%d AND leads.stage = v.a%d AND leads.offer_seq = v.a%d AND leads.%s RETURNING leads.id",
		claimUpdateArgs-2, claimUpdateArgs-1, claimUpdateArgs, claimNotErased)
	return b.String()
}

// claimUpdateSQL is a claim's conditional UPDATE (claimUpdate.args), with
// SQLite's bind variables; claimUpdateSet is its list of assignments, of
// claimUpdateCols (the columns of claimColumns in name order);
// claimUpdateArgs is how many args it takes, claimUpdateTypes their
// PostgreSQL types: a column's (pgColumnTypes) for the value of a column,
// the value's own (pgValueType) for an expression's variable.
var claimUpdateSQL, claimUpdateSet, claimUpdateCols, claimUpdateArgs, claimUpdateTypes = func() (string, string, []string, int, []string) {
	cols := claimColumns(handoff.Owner{}, time.Time{}, handoff.Policy{})
	names := slices.Sorted(maps.Keys(cols))
	var b strings.Builder
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
	set := b.String()
	// A column's value has the column's type; an expression's variables
	// have their own (a nil in an expression panics here).
	var types []string
	for _, name := range names {
		if e, isExpr := cols[name].(clause.Expr); isExpr {
			for _, v := range e.Vars {
				types = append(types, must(pgValueType(v)))
			}
			continue
		}
		types = append(types, must(pgColumnType("leads", name)))
	}
	for _, name := range []string{"id", "stage", "offer_seq"} {
		types = append(types, must(pgColumnType("leads", name)))
	}
	return "UPDATE leads SET " + set + " WHERE id = ? AND stage = ? AND offer_seq = ? AND " + claimNotErased, set, names, len(types), types
}()
