// Package storagetest opens real, isolated databases for tests: a fresh
// SQLite file, and a fresh schema in the PostgreSQL named by
// HANDOFF_TEST_POSTGRES (default postgres://postgres@127.0.0.1:5432/test).
package storagetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the driver gorm's postgres dialect uses

	"github.com/handoff/handoff"
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

// FuzzDialect is the database a fuzz target runs on: SQLite, or the one
// HANDOFF_FUZZ_DIALECT names ("postgres"), to fuzz the other one too.
func FuzzDialect() string {
	if d := os.Getenv("HANDOFF_FUZZ_DIALECT"); d != "" {
		return d
	}
	return storage.DialectSQLite
}

// URL returns a DATABASE_URL for a new, empty database of the dialect that
// is removed when the test ends. PostgreSQL must be reachable: a test that
// cannot reach it fails rather than skips.
func URL(tb testing.TB, dialect string) string {
	tb.Helper()
	if dialect == storage.DialectSQLite {
		return filepath.Join(tb.TempDir(), "handoff.db")
	}
	schema := newObject(tb, "CREATE SCHEMA %s", "DROP SCHEMA %s CASCADE")
	u, err := url.Parse(PostgresURL())
	if err != nil {
		tb.Fatalf("storagetest: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// newObject creates a PostgreSQL object of a new name, "t_" and 12 hex
// digits, with the statement create (%s the name), drops it with drop when
// the test ends, and returns the name.
func newObject(tb testing.TB, create, drop string) string {
	tb.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "t_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", PostgresURL())
	if err != nil {
		tb.Fatalf("storagetest: open postgres: %v", err)
	}
	defer admin.Close()
	if _, err := admin.Exec(fmt.Sprintf(create, name)); err != nil {
		tb.Fatalf("storagetest: %s (is PostgreSQL running at %s?): %v", fmt.Sprintf(create, name), PostgresURL(), err)
	}
	tb.Cleanup(func() {
		db, err := sql.Open("pgx", PostgresURL())
		if err != nil {
			return
		}
		defer db.Close()
		_, _ = db.Exec(fmt.Sprintf(drop, name))
	})
	return name
}

// Open returns a migrated store on a new database of the dialect, closed
// when the test ends.
func Open(tb testing.TB, dialect string) *storage.Store {
	tb.Helper()
	return OpenWith(tb, dialect, storage.Options{})
}

// OpenWith returns a migrated store like Open, opened with opts (a pool
// of another size).
func OpenWith(tb testing.TB, dialect string, opts storage.Options) *storage.Store {
	tb.Helper()
	return OpenURL(tb, URL(tb, dialect), opts)
}

// OpenURL returns a migrated store on the database at u, opened with opts
// and closed when the test ends: another store on a database of URL, or a
// database a benchmark keeps.
func OpenURL(tb testing.TB, u string, opts storage.Options) *storage.Store {
	tb.Helper()
	s, err := storage.Open(context.Background(), u, opts)
	if err != nil {
		tb.Fatalf("storagetest: open %s: %v", u, err)
	}
	tb.Cleanup(func() { s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		tb.Fatalf("storagetest: migrate %s: %v", u, err)
	}
	return s
}

// Closed returns a migrated store on a new database of the dialect whose
// connections are closed already: each of its calls fails with the
// driver's "database is closed", as a store whose database went away
// does.
func Closed(tb testing.TB, dialect string) *storage.Store {
	tb.Helper()
	s := Open(tb, dialect)
	if err := s.Close(); err != nil {
		tb.Fatalf("storagetest: close: %v", err)
	}
	return s
}

// OpenRaw returns a migrated store like Open, and a database/sql handle
// of its own on the same database, for tests that must plant rows the code
// never writes (data an older version stored, a corrupted column). Both
// are closed when the test ends.
func OpenRaw(tb testing.TB, dialect string) (*storage.Store, *sql.DB) {
	tb.Helper()
	return openRaw(tb, dialect, URL(tb, dialect))
}

// OpenRawOwnDatabase is OpenRaw on a PostgreSQL database of its own, not
// a schema of the shared one, dropped when the test ends: for a test that
// the other tests' DDL must not reach, as a CREATE or DROP SCHEMA in a
// database (URL's, for each test) drops the plans that every connection
// to it keeps.
func OpenRawOwnDatabase(tb testing.TB) (*storage.Store, *sql.DB) {
	tb.Helper()
	// template0, which no session uses: copying template1 fails while
	// another session is connected to it.
	name := newObject(tb, "CREATE DATABASE %s TEMPLATE template0", "DROP DATABASE IF EXISTS %s WITH (FORCE)")
	u, err := url.Parse(PostgresURL())
	if err != nil {
		tb.Fatalf("storagetest: %v", err)
	}
	u.Path = "/" + name
	return openRaw(tb, storage.DialectPostgres, u.String())
}

// openRaw is OpenRaw on the database of u.
func openRaw(tb testing.TB, dialect, u string) (*storage.Store, *sql.DB) {
	tb.Helper()
	s := OpenURL(tb, u, storage.Options{})
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

// EachRaw is Each with a database/sql handle of its own on each store's
// database (OpenRaw).
func EachRaw(t *testing.T, f func(t *testing.T, s *storage.Store, raw *sql.DB)) {
	t.Helper()
	for _, d := range Dialects {
		t.Run(d, func(t *testing.T) {
			s, raw := OpenRaw(t, d)
			f(t, s, raw)
		})
	}
}

// Hide renames each of tables away in raw's database (OpenRaw), as if it
// were dropped: every statement on it fails with the database's own error
// (Missing) until restore renames it back, rows and all.
func Hide(tb testing.TB, raw *sql.DB, tables ...string) (restore func()) {
	tb.Helper()
	rename := func(from, to string) {
		tb.Helper()
		if _, err := raw.Exec("ALTER TABLE " + from + " RENAME TO " + to); err != nil {
			tb.Fatalf("storagetest: rename %s to %s: %v", from, to, err)
		}
	}
	for _, t := range tables {
		rename(t, t+"_hidden")
	}
	return func() {
		tb.Helper()
		for _, t := range tables {
			rename(t+"_hidden", t)
		}
	}
}

// Missing is what the error of the dialect's database says when a
// statement names table and there is none (Hide).
func Missing(dialect, table string) string {
	if dialect == storage.DialectPostgres {
		return `relation "` + table + `" does not exist`
	}
	return "no such table: " + table
}

// FailInsertsOf makes the database refuse, with an error of its own (a
// trigger raising one), every insert of a lead whose external id is
// externalID, as a constraint would: for tests of one record's write
// failing among others'. raw is a handle on the database (OpenRaw).
func FailInsertsOf(tb testing.TB, raw *sql.DB, dialect, externalID string) {
	tb.Helper()
	failLeadWrites(tb, raw, dialect, "fail_lead", "INSERT", "NEW.external_id = "+quote(externalID), "test: lead refused")
}

// FailErasureOf makes the database refuse, with an error of its own (a
// trigger raising one), the erasure of the lead whose external id is
// externalID (the update that sets its erased_ms): for tests that an
// erasure of several leads failing at one writes none of them. raw is a
// handle on the database (OpenRaw).
func FailErasureOf(tb testing.TB, raw *sql.DB, dialect, externalID string) {
	tb.Helper()
	failLeadWrites(tb, raw, dialect, "fail_erasure", "UPDATE",
		"OLD.external_id = "+quote(externalID)+" AND NEW.erased_ms IS NOT NULL", "test: erasure refused")
}

// FailLeadUpdatesOf makes the database refuse, with an error of its own (a
// trigger raising "test: lead update refused"), every update of the lead
// whose external id is externalID that meets when (a condition on OLD and
// NEW): for tests of one lead's write failing among others'. raw is a
// handle on the database (OpenRaw).
func FailLeadUpdatesOf(tb testing.TB, raw *sql.DB, dialect, externalID, when string) {
	tb.Helper()
	failLeadWrites(tb, raw, dialect, "fail_lead_update", "UPDATE",
		"OLD.external_id = "+quote(externalID)+" AND "+when, "test: lead update refused")
}

// failLeadWrites creates the trigger name, which refuses every op (INSERT,
// UPDATE) of the leads table whose row meets when, raising msg.
func failLeadWrites(tb testing.TB, raw *sql.DB, dialect, name, op, when, msg string) {
	tb.Helper()
	stmts := []string{`CREATE TRIGGER ` + name + ` BEFORE ` + op + ` ON leads WHEN (` + when + `)
		BEGIN SELECT RAISE(ABORT, '` + msg + `'); END`}
	if dialect == storage.DialectPostgres {
		stmts = []string{
			`CREATE FUNCTION ` + name + `() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '` + msg + `'; END $$`,
			`CREATE TRIGGER ` + name + ` BEFORE ` + op + ` ON leads FOR EACH ROW WHEN (` + when + `) EXECUTE FUNCTION ` + name + `()`,
		}
	}
	for _, q := range stmts {
		if _, err := raw.Exec(q); err != nil {
			tb.Fatalf("storagetest: %s: %v", q, err)
		}
	}
}

// quote is s as an SQL string literal.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// EachFailingInsertsOf is Each on stores whose database refuses every
// insert of the lead externalID (FailInsertsOf).
func EachFailingInsertsOf(t *testing.T, externalID string, f func(t *testing.T, s *storage.Store)) {
	t.Helper()
	EachRaw(t, func(t *testing.T, s *storage.Store, raw *sql.DB) {
		FailInsertsOf(t, raw, s.Dialect(), externalID)
		f(t, s)
	})
}

// SLAMessages lists the reminders and escalations queued for the lead, in
// the order queued, as kind:action ("sla.escalate:escalate_claim").
func SLAMessages(tb testing.TB, s *storage.Store, leadID int64) []string {
	tb.Helper()
	msgs, err := s.OutboxMessages(context.Background(), leadID)
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, m := range msgs {
		if m.Kind == handoff.OutboxRemind || m.Kind == handoff.OutboxEscalate {
			var n handoff.SLANotice
			if err := json.Unmarshal([]byte(m.Payload), &n); err != nil {
				tb.Fatalf("payload %q: %v", m.Payload, err)
			}
			out = append(out, m.Kind+":"+string(n.Action))
		}
	}
	return out
}
