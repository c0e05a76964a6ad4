package storage

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// readyProbe is the leases row Ready writes; no worker takes a lease of
// that name.
const readyProbe = "ready-probe"

// Ready returns nil when the database takes a write, and the error
// otherwise; /readyz calls it. A ping answers while every save fails
// (SQLite's file or its WAL read-only, made so or on a file system
// remounted read-only or full; PostgreSQL a read-only standby), and on
// PostgreSQL it fails while the database answers, on an idle connection
// the server ended (a restart, pg_terminate_backend), since database/sql
// does not try a ping again on another. The write is one row's update of
// the leases table, through the writers' group commit on SQLite (so it
// costs no commit of its own under load); on PostgreSQL a write that
// fails is tried again while the context lasts, once for each pooled
// connection (each failure drops the connection it ran on), so that
// connections the server ended do not make a reachable database look
// down.
func (s *Store) Ready(ctx context.Context) error {
	tries := 1
	if s.dialect == DialectPostgres {
		if sqlDB, err := s.db.DB(); err == nil {
			tries += sqlDB.Stats().MaxOpenConnections
		}
	}
	var err error
	for range tries {
		if err = s.probeWrite(ctx); err == nil || ctx.Err() != nil {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("storage: write probe: %w", err)
	}
	return nil
}

// probeWrite writes the probe's row once.
func (s *Store) probeWrite(ctx context.Context) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		return tx.Exec(`INSERT INTO leases (name, holder, until_ms) VALUES (?, '', ?)
			ON CONFLICT (name) DO UPDATE SET until_ms = excluded.until_ms`, readyProbe, ms(time.Now())).Error
	})
}
