package storage

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/handoff/handoff"
	"gorm.io/gorm"
)

// saveOneStatement is a group of intake saves on PostgreSQL in two round
// trips and one commit, when every lead of the group is new (the usual
// case): the transaction otherwise waits on eight (BEGIN, the locking
// SELECT, the inserts of leads, the two rollup upserts, events and outbox,
// COMMIT).
//
// The first statement looks the group's leads up, unlocked: when none is
// known, the group is decided as the transaction decides it with no known
// lead (decideSaves), the new leads take ids from newIDs, and every row it
// writes, leads with their ids included, is inserted by one statement of
// data-modifying WITH queries in the transaction's order, committed on its
// own: a statement is atomic. Its rollup rows go to shard, so that the
// intake workers, each with a shard of its own, do not wait for each
// other's row locks.
//
// done is false when this path cannot decide: a lead is known, or the
// statement failed, as it does when another writer inserted one of the
// external ids in between (the unique index on external_id). Nothing was
// written then, and the group is saved in a transaction. A statement that
// failed but was committed (its answer lost with the connection) is done,
// as leadStored tells; err wraps errOutcomeUnknown when that cannot be
// told.
func saveOneStatement(ctx context.Context, db *gorm.DB, items []saveItem, shard int64, newIDs func(n int) ([]int64, error)) (results []handoff.SaveResult, errs []error, done bool, err error) {
	if known, err := anyLeadKnown(ctx, db, externalIDs(items)); err != nil || known {
		return nil, nil, false, err
	}
	b := decideSaves(items, map[string]*handoff.Lead{}, nil)
	for _, c := range b.creditsFor {
		if len(c) > 0 { // a new lead has no offer to refund; the transaction writes any
			return nil, nil, false, nil
		}
	}
	ids, err := newIDs(len(b.created))
	if err != nil {
		return nil, nil, false, err
	}
	for i, l := range b.created {
		l.ID = ids[i]
	}
	newRows, err := leadRows(b.created)
	if err != nil {
		return nil, nil, false, err
	}
	events, rollups, outbox, err := b.rowsToWrite(nil)
	if err != nil {
		return nil, nil, false, err
	}
	r := mergeRollups(rollups)
	routing, ok, err := newLeadsRoutingWrites(r, shard)
	if err != nil || !ok {
		return nil, nil, false, err
	}
	ws := append([]tableWrite{leadsWrite(newRows)}, r.writes(shard, stageTimes{})...)
	ws = append(ws, routing...)
	ws = append(ws, eventsWrite(events), b.cyclesWrite(), intakeOutboxWrite(outbox))
	q, args, ok, err := writesStatement(ws)
	if err != nil || !ok {
		return nil, nil, false, err
	}
	if q != "" {
		if _, err := db.Statement.ConnPool.ExecContext(ctx, q, args...); err != nil {
			// The transaction tells a race from a failure, unless the
			// statement was committed and only its answer lost.
			stored, askErr := leadStored(ctx, db, b.created)
			if askErr != nil {
				return nil, nil, false, fmt.Errorf("%w: %w (asking: %w)", errOutcomeUnknown, err, askErr)
			}
			if !stored {
				return nil, nil, false, nil
			}
		}
	}
	return b.done(events), b.errs, true, nil
}

// leadStored reports whether the first of leads, new leads that took ids
// of their own from the sequence (leadIDs), is stored: whether the one
// statement that inserted them all was committed. Run again on the leads
// as stored, the group's saves would not be decided as they were: a lead
// created and returned in the group comes back as an SQL and is announced
// again.
func leadStored(ctx context.Context, db *gorm.DB, leads []*handoff.Lead) (bool, error) {
	if len(leads) == 0 {
		return false, nil
	}
	ctx, cancel := context.WithTimeout(ctx, outcomeWait)
	defer cancel()
	var n int
	if err := db.Statement.ConnPool.QueryRowContext(ctx, "SELECT count(*) FROM leads WHERE id = $1", leads[0].ID).Scan(&n); err != nil {
		return false, fmt.Errorf("new lead %d: %w", leads[0].ID, err)
	}
	return n > 0, nil
}

// anyLeadKnown reports whether a lead has one of the external ids. The
// statement is planned for each group (pgPlanEach): a plan kept from when
// the table was small scans all of it.
func anyLeadKnown(ctx context.Context, db *gorm.DB, externalIDs []string) (bool, error) {
	var n int
	err := db.Statement.ConnPool.QueryRowContext(ctx, "SELECT count(*) FROM leads WHERE "+leadsByExternalIDPG, pgPlanEach, externalIDs).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("known leads: %w", err)
	}
	return n > 0, nil
}

// leadIDs hands out lead ids taken from the leads' sequence a block at a
// time, so that a group of new leads does not wait on the sequence.
type leadIDs struct {
	block     int // ids taken at a time; maxGroup when 0
	mu        sync.Mutex
	seq       string // the sequence, an SQL literal, once found
	next, end int64  // the ids [next, end) are taken and unused
}

// take returns n new lead ids, in ascending order.
func (p *leadIDs) take(ctx context.Context, db *gorm.DB, n int) ([]int64, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	ids := make([]int64, 0, n)
	for len(ids) < n {
		if p.next == p.end {
			if err := p.reserve(ctx, db); err != nil {
				return nil, err
			}
		}
		ids = append(ids, p.next)
		p.next++
	}
	return ids, nil
}

// reserve takes the next block of ids from the sequence: consecutive ones
// when no one else takes ids meanwhile, else as many blocks as it gets.
func (p *leadIDs) reserve(ctx context.Context, db *gorm.DB) error {
	if p.seq == "" {
		var name string
		if err := db.Statement.ConnPool.QueryRowContext(ctx, "SELECT pg_get_serial_sequence('leads', 'id')").Scan(&name); err != nil {
			return fmt.Errorf("lead id sequence: %w", err)
		}
		p.seq = "'" + strings.ReplaceAll(name, "'", "''") + "'::regclass"
	}
	rows, err := db.Statement.ConnPool.QueryContext(ctx, "SELECT nextval("+p.seq+") FROM generate_series(1, "+strconv.Itoa(cmp.Or(p.block, maxGroup))+")")
	if err != nil {
		return fmt.Errorf("lead ids: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return fmt.Errorf("lead ids: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("lead ids: %w", err)
	}
	slices.Sort(ids)
	// Keep the longest run of consecutive ids at the start.
	end := 1
	for end < len(ids) && ids[end] == ids[end-1]+1 {
		end++
	}
	p.next, p.end = ids[0], ids[0]+int64(end)
	return nil
}

// leadsWrite inserts new leads with their ids.
func leadsWrite(rows []leadRow) tableWrite {
	w := tableWrite{what: "leads", table: "leads", cols: append([]string{"id"}, leadColumns...)}
	for i := range rows {
		w.rows = append(w.rows, rows[i].values())
	}
	return w
}

// writesStatement folds ws, inserts only, into one statement: a
// data-modifying WITH query for each, run in order, each row set an
// array per column (pgUnnest), so that the text depends on which tables
// get rows, not on how many. q is empty when ws write no row; ok is false
// when ws hold a statement other than rows to insert (a DELETE).
func writesStatement(ws []tableWrite) (q string, args []any, ok bool, err error) {
	var b strings.Builder
	n := 0
	for _, w := range ws {
		if w.sql != "" || len(w.deleteIDs) > 0 {
			return "", nil, false, nil
		}
		if len(w.rows) == 0 {
			continue
		}
		if n == 0 {
			b.WriteString("WITH ")
		} else {
			b.WriteString(", ")
		}
		cols := slices.Concat(w.cols, w.kept, w.sums)
		var rows string
		if rows, args, err = pgUnnest(w.table, cols, len(w.rows), func(i int) []any { return w.rows[i] }, args); err != nil {
			return "", nil, false, fmt.Errorf("%s: %w", w.what, err)
		}
		fmt.Fprintf(&b, "w%d AS (INSERT INTO %s (%s) %s", n, w.table, strings.Join(cols, ", "), rows)
		if len(w.sums) > 0 {
			b.WriteString(onConflictAdd(w.table, w.cols, w.sums))
		}
		b.WriteString(")")
		n++
	}
	if n == 0 {
		return "", nil, true, nil
	}
	b.WriteString(" SELECT 1")
	return b.String(), args, true, nil
}
