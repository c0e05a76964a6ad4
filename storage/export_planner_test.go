package storage

import (
	"context"
	"regexp"
	"strings"
	"sync"

	"gorm.io/gorm"
)

// PlannerSeen is a statement on the outbox that the store ran in a
// transaction, with the planner's settings (plannerSettings) that were off
// when it ran.
type PlannerSeen struct {
	Tx        int      // its transaction, numbered in the order first seen
	Statement string   // its kind and table, or the start of its SQL
	Off       []string // the settings off, in plannerSettings' order
}

// onOutbox matches SQL that reads or writes the outbox table.
var onOutbox = regexp.MustCompile(`\boutbox\b`)

// PlannerSettingsSeen records, until stop is called, each statement on
// the outbox that the store runs in a transaction through its reader (on
// PostgreSQL its writer too), not those it only builds (DryRun), with the
// planner's settings off as it ran, read in its transaction just before it. Not safe while other goroutines
// use the store.
func (s *Store) PlannerSettingsSeen() (seen func() ([]PlannerSeen, error), stop func()) {
	var (
		mu    sync.Mutex
		txs   = map[gorm.ConnPool]int{}
		out   []PlannerSeen
		first error
	)
	record := func(kind string) func(*gorm.DB) {
		return func(db *gorm.DB) {
			conn := db.Statement.ConnPool
			if p, ok := conn.(planEachPool); ok {
				conn = p.ConnPool
			}
			what := db.Statement.Table
			if what == "" {
				what = db.Statement.SQL.String()
			}
			if _, inTx := conn.(gorm.TxCommitter); !inTx || db.DryRun || !onOutbox.MatchString(what) {
				return
			}
			off, err := settingsOff(db.Statement.Context, conn)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && first == nil {
				first = err
			}
			n, ok := txs[conn]
			if !ok {
				n = len(txs)
				txs[conn] = n
			}
			out = append(out, PlannerSeen{Tx: n, Statement: kind + " " + what[:min(len(what), 60)], Off: off})
		}
	}
	name := "storagetest:planner"
	cb := s.db.Callback()
	_ = cb.Query().Before("*").Register(name, record("query"))
	_ = cb.Row().Before("*").Register(name, record("row"))
	_ = cb.Raw().Before("*").Register(name, record("raw"))
	_ = cb.Update().Before("*").Register(name, record("update"))
	return func() ([]PlannerSeen, error) {
			mu.Lock()
			defer mu.Unlock()
			return append([]PlannerSeen(nil), out...), first
		}, func() {
			_ = cb.Query().Remove(name)
			_ = cb.Row().Remove(name)
			_ = cb.Raw().Remove(name)
			_ = cb.Update().Remove(name)
		}
}

// settingsOff returns which of plannerSettings are off on conn, a
// PostgreSQL transaction.
func settingsOff(ctx context.Context, conn gorm.ConnPool) ([]string, error) {
	var vals [len(plannerSettings)]string
	err := conn.QueryRowContext(ctx, "SELECT current_setting('"+strings.Join(plannerSettings[:], "'), current_setting('")+"')").
		Scan(&vals[0], &vals[1], &vals[2])
	var off []string
	for i, v := range vals {
		if v == "off" {
			off = append(off, plannerSettings[i])
		}
	}
	return off, err
}

// PlannerOffAround runs a read in a transaction of the store's reader
// that goes on after it, with the planner's settings of level (1
// inIndexOrder, 2 inIndexRange, 3 inIndexScan) off, run by within or, given
// that transaction, by alone, and returns the settings off during the read
// and after it, in the same transaction.
func (s *Store) PlannerOffAround(ctx context.Context, level int, alone bool) (during, after []string, err error) {
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		read := func(tx *gorm.DB) (err error) {
			during, err = settingsOff(ctx, tx.Statement.ConnPool)
			return err
		}
		var err error
		if alone {
			err = plannerOff(level).alone(tx, read)
		} else {
			err = plannerOff(level).within(tx, func() error { return read(tx) })
		}
		if err != nil {
			return err
		}
		after, err = settingsOff(ctx, tx.Statement.ConnPool)
		return err
	})
	return during, after, err
}
