package storage

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"

	"gorm.io/gorm"
)

// readSnapshot runs fn's reads on one snapshot of the database, for an
// answer read in more than one statement that must agree with itself: on
// PostgreSQL a read-only REPEATABLE READ transaction; on SQLite a deferred
// transaction on one reader connection (whose snapshot starts at its first
// read), since the DSN makes transactions IMMEDIATE, which would take the
// write lock.
//
// On PostgreSQL database/sql ends the transaction and drops a connection
// whose rollback failed (pgx closes it). On SQLite a connection whose BEGIN
// or ROLLBACK failed may still be inside the transaction, so it is dropped
// rather than given back to the pool, where later reads would see the old
// snapshot and every later BEGIN would fail.
func (s *Store) readSnapshot(ctx context.Context, fn func(db *gorm.DB) error) (err error) {
	if s.dialect == DialectPostgres {
		return s.db.WithContext(ctx).Transaction(fn, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	}
	pool, err := s.db.DB()
	if err != nil {
		return fmt.Errorf("storage: begin a read: %w", err)
	}
	c, err := pool.Conn(ctx)
	if err != nil {
		return fmt.Errorf("storage: begin a read: %w", err)
	}
	defer c.Close()               // ErrConnDone after dropConn: nothing to give back
	conn := s.db.WithContext(ctx) // a statement of its own, run on c
	conn.Statement.ConnPool = c
	if err := conn.Exec("BEGIN DEFERRED").Error; err != nil {
		dropConn(c)
		return fmt.Errorf("storage: begin a read: %w", err)
	}
	// Ended even when ctx is done or fn panics.
	defer func() {
		if end := conn.WithContext(context.WithoutCancel(ctx)).Exec("ROLLBACK").Error; end != nil {
			dropConn(c)
			if err == nil {
				err = fmt.Errorf("storage: end a read: %w", end)
			}
		}
	}()
	return fn(conn)
}

// dropConn closes c's driver connection instead of giving it back to the
// pool: database/sql discards the connection when Conn.Raw's function
// returns driver.ErrBadConn, and c is unusable afterwards.
func dropConn(c *sql.Conn) {
	_ = c.Raw(func(any) error { return driver.ErrBadConn })
}
