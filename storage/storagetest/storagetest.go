// Package storagetest opens real, isolated databases for tests: a fresh
// SQLite file, and a fresh schema in the PostgreSQL named by
// HANDOFF_TEST_POSTGRES (default postgres://postgres@127.0.0.1:5432/test).
package storagetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the driver gorm's postgres dialect uses

	"github.com/handoff/handoff/storage"
)

// Dialects lists the databases every storage test runs on.
var Dialects = []string{storage.DialectSQLite, storage.DialectPostgres}

// PostgresURL is the server tests use.
func PostgresURL() string {
	if u := os.Getenv("HANDOFF_TEST_POSTGRES"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// URL returns a DATABASE_URL for a new, empty database of the dialect that
// is removed when the test ends. PostgreSQL must be reachable: a test that
// cannot reach it fails rather than skips.
func URL(tb testing.TB, dialect string) string {
	tb.Helper()
	if dialect == storage.DialectSQLite {
		return filepath.Join(tb.TempDir(), "handoff.db")
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", PostgresURL())
	if err != nil {
		tb.Fatalf("storagetest: open postgres: %v", err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		tb.Fatalf("storagetest: create schema (is PostgreSQL running at %s?): %v", PostgresURL(), err)
	}
	tb.Cleanup(func() {
		db, err := sql.Open("pgx", PostgresURL())
		if err != nil {
			return
		}
		defer db.Close()
		_, _ = db.Exec("DROP SCHEMA " + schema + " CASCADE")
	})
	u, err := url.Parse(PostgresURL())
	if err != nil {
		tb.Fatalf("storagetest: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Open returns a migrated store on a new database of the dialect, closed
// when the test ends.
func Open(tb testing.TB, dialect string) *storage.Store {
	tb.Helper()
	s, err := storage.Open(context.Background(), URL(tb, dialect), storage.Options{})
	if err != nil {
		tb.Fatalf("storagetest: open %s: %v", dialect, err)
	}
	tb.Cleanup(func() { s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		tb.Fatalf("storagetest: migrate %s: %v", dialect, err)
	}
	return s
}

// OpenRaw returns a migrated store like Open, and a database/sql handle
// of its own on the same database, for tests that must plant rows the code
// never writes (data an older version stored, a corrupted column). Both
// are closed when the test ends.
func OpenRaw(tb testing.TB, dialect string) (*storage.Store, *sql.DB) {
	tb.Helper()
	u := URL(tb, dialect)
	s, err := storage.Open(context.Background(), u, storage.Options{})
	if err != nil {
		tb.Fatalf("storagetest: open %s: %v", dialect, err)
	}
	tb.Cleanup(func() { s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		tb.Fatalf("storagetest: migrate %s: %v", dialect, err)
	}
	driver := "pgx"
	if dialect == storage.DialectSQLite {
		driver = "sqlite3"
	}
	raw, err := sql.Open(driver, u)
	if err != nil {
		tb.Fatalf("storagetest: open raw %s: %v", dialect, err)
	}
	tb.Cleanup(func() { raw.Close() })
	return s, raw
}

// Each runs f as a subtest once per dialect.
func Each(t *testing.T, f func(t *testing.T, s *storage.Store)) {
	t.Helper()
	for _, d := range Dialects {
		t.Run(d, func(t *testing.T) {
			f(t, Open(t, d))
		})
	}
}
