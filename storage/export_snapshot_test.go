package storage

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/mattn/go-sqlite3"
)

// DenyReaderRollback makes SQLite refuse ROLLBACK, as not authorized, on
// the reader connection the pool hands out next: the only one of a store
// opened with MaxConns 1. The connection stays inside its transaction.
func (s *Store) DenyReaderRollback(ctx context.Context) error {
	return s.onNextReader(ctx, func(c *sql.Conn) error {
		return c.Raw(func(dc any) error {
			sc, ok := dc.(*sqlite3.SQLiteConn)
			if !ok {
				return fmt.Errorf("reader connection is a %T, not SQLite's", dc)
			}
			sc.RegisterAuthorizer(func(op int, arg1, _, _ string) int {
				if op == sqlite3.SQLITE_TRANSACTION && arg1 == "ROLLBACK" {
					return sqlite3.SQLITE_DENY
				}
				return sqlite3.SQLITE_OK
			})
			return nil
		})
	})
}

// LeaveReaderInTransaction begins a deferred transaction on the reader
// connection the pool hands out next (the only one of a store opened with
// MaxConns 1), reads the leads so that its snapshot starts, and gives the
// connection back to the pool still inside the transaction, as a read
// whose end was lost would.
func (s *Store) LeaveReaderInTransaction(ctx context.Context) error {
	begin := "BEGIN DEFERRED"
	if s.dialect == DialectPostgres {
		begin = "BEGIN ISOLATION LEVEL REPEATABLE READ"
	}
	return s.onNextReader(ctx, func(c *sql.Conn) error {
		if _, err := c.ExecContext(ctx, begin); err != nil {
			return err
		}
		var n int64
		return c.QueryRowContext(ctx, "SELECT count(*) FROM leads").Scan(&n)
	})
}

// onNextReader runs fn on the connection the pool hands out next and then
// gives it back.
func (s *Store) onNextReader(ctx context.Context, fn func(c *sql.Conn) error) error {
	pool, err := s.db.DB()
	if err != nil {
		return err
	}
	c, err := pool.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return fn(c)
}
