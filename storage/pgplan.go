package storage

import (
	"context"
	"database/sql"

	"gorm.io/gorm"
)

// planEach is tx, its statements run through GORM planned at each
// execution on PostgreSQL (pgPlanEach, which GORM cannot pass itself); tx
// as it is on SQLite. The statements that find rows of lead_events,
// routing_facts, funnel_won and lead_activities by an array of leads, the
// Teams claimers' keys (teams_users, and leads by owner), the outbox's
// lease of the messages taken and the leads found by id outside intake
// and the claims (leadsOfIDs) run on it: a prepared statement's generic
// plan, made while the table held a few rows and had no statistics, scans
// the whole table until something analyses it (EXPLAIN ANALYZE at 200,000
// rows a table: 15-38 ms a statement, against 0.03-0.12 ms planned each
// time, load 1.9; TestPGLeadListReadsUseLeadIndexes,
// TestPGIDListStatementsUseIndexes).
func planEach(tx *gorm.DB) *gorm.DB {
	if tx.Dialector.Name() != DialectPostgres {
		return tx
	}
	ctx := tx.Statement.Context
	if ctx == nil {
		ctx = context.Background()
	}
	db := tx.Session(&gorm.Session{NewDB: true, Context: ctx}) // a statement of its own, not tx's
	db.Statement.ConnPool = planEachPool{tx.Statement.ConnPool}
	return db
}

// planEachPool is a connection pool (or transaction) that passes
// pgPlanEach first among each statement's args.
type planEachPool struct{ gorm.ConnPool }

func (p planEachPool) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return p.ConnPool.ExecContext(ctx, q, append([]any{pgPlanEach}, args...)...)
}

func (p planEachPool) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return p.ConnPool.QueryContext(ctx, q, append([]any{pgPlanEach}, args...)...)
}

func (p planEachPool) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return p.ConnPool.QueryRowContext(ctx, q, append([]any{pgPlanEach}, args...)...)
}
