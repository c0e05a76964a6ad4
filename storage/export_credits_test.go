package storage

import (
	"context"
	"database/sql"
	"time"

	"gorm.io/gorm"
)

// SaveCredits adds delta to the reps' balances as a routing step does
// (saveCredits), in a transaction of its own, and returns the number of
// statements it ran.
func (s *Store) SaveCredits(ctx context.Context, delta map[string]int64, at time.Time) (statements int, err error) {
	err = s.write.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		counted := tx.WithContext(ctx) // a statement of its own, on the counting pool
		pool := &countingPool{ConnPool: tx.Statement.ConnPool}
		counted.Statement.ConnPool = pool
		err := saveCredits(counted, delta, at)
		statements = pool.n
		return err
	})
	return statements, err
}

// countingPool counts the statements run through it.
type countingPool struct {
	gorm.ConnPool
	n int
}

func (p *countingPool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	p.n++
	return p.ConnPool.ExecContext(ctx, query, args...)
}

func (p *countingPool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	p.n++
	return p.ConnPool.QueryContext(ctx, query, args...)
}

func (p *countingPool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	p.n++
	return p.ConnPool.QueryRowContext(ctx, query, args...)
}
