package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/handoff/handoff"
	"gorm.io/gorm"
)

// Warm opens every connection of the pool at once and readies each for
// the requests to come, so that the first burst of clicks after a start
// does not pay for them: a new PostgreSQL connection is a new server
// process, which loads the catalog entries of every table and index it
// touches on first use (about 12 ms of planning for its first read of
// leads, by pg_stat_statements), and a new SQLite connection parses the
// schema.
// On each connection (also the claims committer's own on PostgreSQL) it
// plans a read of every table and runs the read of a lead that a click
// makes first (findLeadRow), which also prepares that statement; then it
// runs a claim batch on the claims committer (warmClaims). The pool keeps
// its connections while idle (Open), so they stay warm. Call it after
// Migrate; the connections it could open stay open when it fails.
func (s *Store) Warm(ctx context.Context) error {
	tables, err := s.tableNames(ctx)
	if err != nil {
		return fmt.Errorf("storage: warm the pool: %w", err)
	}
	var errs []error
	for _, pool := range s.pools() {
		sqlDB, err := pool.DB()
		if err != nil {
			return fmt.Errorf("storage: warm the pool: %w", err)
		}
		errs = append(errs, warmConns(ctx, pool, sqlDB, sqlDB.Stats().MaxOpenConnections, tables))
	}
	if s.claims != nil {
		errs = append(errs, s.warmClaims(ctx))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("storage: warm the pool: %w", err)
	}
	return nil
}

// warmClaims claims a lead in a transaction of the claims committer
// that it rolls back, so that the committer's connection has run every
// statement of a claim batch (claimBatchInTx: the locking read, the
// UPDATE of the lead with its indexes, the rollup, the events and the
// outbox) before the first click needs it: on PostgreSQL the first
// UPDATE of leads on a connection loads the leads' indexes and their
// predicates, which took 80 ms of a burst's first claim. The lead, which
// no other transaction sees, has an id of its own below 0 (no sequence
// value is spent) and is rolled back with all it wrote. warmedClaims
// counts the claims it won.
func (s *Store) warmClaims(ctx context.Context) error {
	now := time.Now().UTC().Truncate(time.Millisecond)
	due := now.Add(time.Hour)
	id := -1 - rand.Int64N(1<<53) // replicas starting together do not wait for each other
	lead := &handoff.Lead{ID: id, ExternalID: "handoff-warm-claim-" + strconv.FormatInt(-id, 10), Source: "warm",
		Stage: handoff.StageSQL, Reached: handoff.StageSQL.Rank(), SQLAt: &now, ShownAt: &now, ClaimDueAt: &due}
	row, err := leadToRow(lead)
	if err != nil {
		return err
	}
	item := &claimItem{id: id, step: anyStep, owner: handoff.Owner{Platform: "warm", UserID: "warm"}, at: now, actor: "warm"}
	err = s.claims.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		errs, err := claimBatchInTx(tx, []*claimItem{item})
		if err != nil {
			return err
		}
		if errs[0] != nil {
			return errs[0]
		}
		return errWarmRollback
	})
	if !errors.Is(err, errWarmRollback) {
		return fmt.Errorf("warm a claim: %w", err)
	}
	if item.won {
		s.warmedClaims.Add(1)
	}
	return nil
}

// errWarmRollback rolls warmClaims' transaction back.
var errWarmRollback = errors.New("storage: warm-up rolled back")

// warmConns takes n connections of pool at once (so that each is a
// connection of its own), warms each (warmConn) and hands them back.
func warmConns(ctx context.Context, pool *gorm.DB, sqlDB *sql.DB, n int, tables []string) error {
	conns := make([]*sql.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range n {
		c, err := sqlDB.Conn(ctx)
		if err != nil {
			return err
		}
		conns = append(conns, c)
	}
	errs := make(chan error, len(conns))
	for _, c := range conns {
		go func() { errs <- warmConn(ctx, pool, c, tables) }()
	}
	var all []error
	for range conns {
		all = append(all, <-errs)
	}
	return errors.Join(all...)
}

// warmConn plans a read of each table on c and reads a lead that does not
// exist the way a click reads its lead.
func warmConn(ctx context.Context, pool *gorm.DB, c *sql.Conn, tables []string) error {
	for _, t := range tables {
		rows, err := c.QueryContext(ctx, `SELECT * FROM "`+t+`" WHERE 1 = 0`)
		if err != nil {
			return err
		}
		if err := rows.Close(); err != nil {
			return err
		}
	}
	on := pool.Session(&gorm.Session{Context: ctx, NewDB: true})
	on.Statement.ConnPool = c
	if _, err := findLeadRowIn(on, "id", int64(0)); err != nil && handoff.ErrorCode(err) != handoff.ENOTFOUND {
		return err
	}
	return nil
}

// tableNames lists the tables of the store's schema.
func (s *Store) tableNames(ctx context.Context) ([]string, error) {
	q := "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
	if s.dialect == DialectPostgres {
		q = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
	}
	var names []string
	if err := s.db.WithContext(ctx).Raw(q).Scan(&names).Error; err != nil {
		return nil, err
	}
	return names, nil
}
