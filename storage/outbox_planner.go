package storage

import (
	"strings"

	"gorm.io/gorm"
)

// plannerOff is how many of PostgreSQL's planner settings a read of the
// outbox runs with off, in the order of plannerSettings: each level turns
// off those of the level before it too. SQLite runs the read as it is.
// alone and within run the read, so that the settings never outlive it.
type plannerOff int

// The levels of plannerOff.
const (
	// inIndexOrder runs a read in the order of an index with
	// PostgreSQL's sorts off (enable_sort), so that it reads the index in
	// order and stops at its LIMIT. An import grows the outbox by 100,000
	// messages at once, faster than autovacuum analyses it (and never with
	// autovacuum off): planned on no statistics, the lease read every due
	// message and sorted them, on disk, for each batch of 20 (236-494 ms
	// at 120,000 pending, against 0.3 ms through idx_outbox_status_due_id
	// in order; BENCHMARKS.md, "The outbox draining a large backlog").
	// SQLite's indexes end with the rowid, the id, and it reads them in
	// order by itself.
	inIndexOrder plannerOff = iota + 1
	// inIndexRange is inIndexOrder with sequential scans off too
	// (enable_seqscan), for a read of a range of an index bounded by what
	// a subquery of its own answers (nextPendingQuery), which PostgreSQL
	// cannot know when it plans it: with statistics it guessed a third of
	// the outbox in that range and read the whole table, in parallel, for
	// the few leased messages there (222-250 ms at 120,000 pending;
	// BENCHMARKS.md, "The outbox draining a large backlog").
	inIndexRange
	// inIndexScan is inIndexRange with bitmap scans off too
	// (enable_bitmapscan), for a count up to a cap (countUpTo), which
	// stops a scan that returns the index's entries one by one, but not a
	// bitmap scan, which reads every entry of the index before it returns
	// any. Planning on no statistics (an outbox an import grew, not yet
	// analysed) PostgreSQL chose one, and counting up to 50 read 30,063
	// entries at 30,000 pending (TestOutboxReadsReadABoundedPart).
	inIndexScan
)

// plannerSettings are the settings plannerOff turns off, by level.
var plannerSettings = [...]string{"enable_sort", "enable_seqscan", "enable_bitmapscan"}

// alone runs fn, a read, in a transaction of its own on db, with p's
// settings off on PostgreSQL: one statement before fn (set_config, local
// to the transaction) and none after, as the settings end with the
// transaction, which ends with fn. Given a transaction that goes on after
// fn (db is one), it runs fn as within does.
func (p plannerOff) alone(db *gorm.DB, fn func(tx *gorm.DB) error) error {
	if _, inTx := db.Statement.ConnPool.(gorm.TxCommitter); inTx {
		return p.within(db, func() error { return fn(db) })
	}
	return db.Transaction(func(tx *gorm.DB) error {
		if err := p.off(tx); err != nil {
			return err
		}
		return fn(tx)
	})
}

// within runs fn, a read in tx, which goes on after it, with p's settings
// off on PostgreSQL, and back to their defaults for the rest of tx once
// fn succeeds: one statement before fn and one a setting after it
// (SET LOCAL … TO DEFAULT, PostgreSQL's documented reset; set_config has
// none), so one for inIndexOrder, the take's.
func (p plannerOff) within(tx *gorm.DB, fn func() error) error {
	if err := p.off(tx); err != nil {
		return err
	}
	if err := fn(); err != nil {
		return err
	}
	if tx.Dialector.Name() != DialectPostgres {
		return nil
	}
	for _, name := range plannerSettings[:p] {
		if err := tx.Exec("SET LOCAL " + name + " TO DEFAULT").Error; err != nil {
			return err
		}
	}
	return nil
}

// off turns p's settings off for the rest of tx, in one statement
// (set_config, local to the transaction), on PostgreSQL; on SQLite it
// does nothing.
func (p plannerOff) off(tx *gorm.DB) error {
	if tx.Dialector.Name() != DialectPostgres {
		return nil
	}
	calls := make([]string, p)
	for i, name := range plannerSettings[:p] {
		calls[i] = "set_config('" + name + "', 'off', true)"
	}
	return tx.Exec("SELECT " + strings.Join(calls, ", ")).Error
}
