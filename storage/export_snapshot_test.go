package storage

import (
	"context"
	"fmt"

	"github.com/mattn/go-sqlite3"
)

// DenyReaderRollback makes SQLite refuse ROLLBACK, as not authorized, on
// the reader connection the pool hands out next: the only one of a store
// opened with MaxConns 1. The connection stays inside its transaction.
func (s *Store) DenyReaderRollback(ctx context.Context) error {
	pool, err := s.db.DB()
	if err != nil {
		return err
	}
	c, err := pool.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
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
}
