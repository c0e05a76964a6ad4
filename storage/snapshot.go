package storage

import (
	"context"
	"database/sql"
	"fmt"

	"gorm.io/gorm"
)

// readSnapshot runs fn's reads on one snapshot of the database, for an
// answer read in more than one statement that must agree with itself: on
// PostgreSQL a read-only REPEATABLE READ transaction; on SQLite a deferred
// transaction on one reader connection (whose snapshot starts at its first
// read), since the DSN makes transactions IMMEDIATE, which would take the
// write lock.
func (s *Store) readSnapshot(ctx context.Context, fn func(db *gorm.DB) error) error {
	db := s.db.WithContext(ctx)
	if s.dialect == DialectPostgres {
		return db.Transaction(fn, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	}
	return db.Connection(func(conn *gorm.DB) error {
		if err := conn.Exec("BEGIN DEFERRED").Error; err != nil {
			return fmt.Errorf("storage: begin a read: %w", err)
		}
		err := fn(conn)
		// Ended even when ctx is done: the connection goes back to the
		// pool outside any transaction.
		if end := conn.WithContext(context.WithoutCancel(ctx)).Exec("ROLLBACK").Error; end != nil && err == nil {
			err = fmt.Errorf("storage: end a read: %w", end)
		}
		return err
	})
}
