package storage

import (
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
)

// sqlitePageSize is the page size of a database Open creates. Every
// commit appends each page it changed to the WAL, whole, and fsyncs it: a
// new lead changes one leaf in each of some twenty B-trees (the lead,
// its events, its outbox row, their indexes, the funnel's rollups), each
// by a few dozen bytes, so smaller pages mean fewer bytes to write and
// sync for the same rows. SQLite's default is 4,096; at 2,048 intake over
// HTTP took 0–16 % more leads a second, pair by pair, on a disk whose fsync
// grows with the bytes, and the year's funnel over a million leads was no
// slower (BENCHMARKS.md, "Thirteenth session"), while a row of up to about
// 2 KB still fits its page. A database that exists keeps its size: SQLite
// fixes it when the first page is written.
const sqlitePageSize = 2048

// Exists reports whether the database dbURL names is there to open
// without Open creating it: a SQLite file of some content (an in-memory
// database never is). A PostgreSQL database is created by its admin, not
// by Open, so it is taken to exist and connecting tells.
func Exists(dbURL string) (bool, error) {
	dialect, dsn, err := ParseURL(dbURL)
	if err != nil {
		return false, err
	}
	if dialect == DialectPostgres {
		return true, nil
	}
	path := sqlitePath(dsn)
	if path == ":memory:" || strings.Contains(dsn, "mode=memory") {
		return false, nil
	}
	switch fi, err := os.Stat(path); {
	case err == nil:
		return fi.Size() > 0, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	default:
		return false, fmt.Errorf("storage: sqlite %s: %w", path, err)
	}
}

// createSQLite creates the SQLite database at the DSN's path, empty, with
// sqlitePageSize pages in WAL mode, unless a file of some content is
// there: a database of its own page size, or one for SQLite to refuse.
func createSQLite(dsn string) error {
	path := sqlitePath(dsn)
	if path == ":memory:" || strings.Contains(dsn, "mode=memory") {
		return nil
	}
	switch fi, err := os.Stat(path); {
	case err == nil && fi.Size() > 0:
		return nil
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("storage: sqlite %s: %w", path, err)
	}
	db, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		return fmt.Errorf("storage: create sqlite %s: %w", path, err)
	}
	defer db.Close()
	// The page size must be set before journal_mode writes the first page.
	for _, pragma := range []string{"PRAGMA page_size = " + strconv.Itoa(sqlitePageSize), "PRAGMA journal_mode = WAL"} {
		if _, err := db.Exec(pragma); err != nil {
			return fmt.Errorf("storage: create sqlite %s: %s: %w", path, pragma, err)
		}
	}
	return nil
}
