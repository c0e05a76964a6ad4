package storage

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// SQLite's connections are opened without a mutex of their own
// (_mutex=no) besides the durability settings; a URL's own value is kept.
func TestParseURLSQLiteDefaults(t *testing.T) {
	for _, tc := range []struct {
		url  string
		want map[string]string
	}{
		{"handoff.db", map[string]string{"_mutex": "no", "_journal_mode": "WAL", "_synchronous": "FULL", "_txlock": "immediate"}},
		{"sqlite:data/h.db?_mutex=full", map[string]string{"_mutex": "full", "_synchronous": "FULL"}},
		{"file:h.db?_synchronous=EXTRA", map[string]string{"_mutex": "no", "_synchronous": "EXTRA"}},
	} {
		t.Run(tc.url, func(t *testing.T) {
			dialect, dsn, err := ParseURL(tc.url)
			if err != nil || dialect != DialectSQLite {
				t.Fatalf("ParseURL(%q) = %q, %q, %v", tc.url, dialect, dsn, err)
			}
			_, query, _ := strings.Cut(dsn, "?")
			values, err := url.ParseQuery(query)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.want {
				if got := values.Get(k); got != v {
					t.Errorf("%s = %q, want %q (DSN %s)", k, got, v, dsn)
				}
			}
		})
	}
}

// A statement of a connection without a mutex (_mutex=no) is still
// interrupted when its context ends, on the readers and on the writer,
// and the connection serves the next statement: the driver's interrupt
// (sqlite3_interrupt from another goroutine) needs no connection mutex.
func TestSQLiteCancelledStatementOnNoMutexConnection(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "h.db"), Options{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// Counts without end: only an interrupt stops it.
	const endless = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
	for name, pool := range map[string]func() (*sql.DB, error){"readers": s.db.DB, "writer": s.write.DB} {
		t.Run(name, func(t *testing.T) {
			db, err := pool()
			if err != nil {
				t.Fatal(err)
			}
			for range 3 {
				cctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
				var n int64
				err := db.QueryRowContext(cctx, endless).Scan(&n)
				cancel()
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("endless count: %d, %v; want the context's deadline", n, err)
				}
				var one int
				if err := db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
					t.Fatalf("next statement on the connection: %d, %v", one, err)
				}
			}
		})
	}
}

// TestExists: a database is there to open when its SQLite file has some
// content; a missing or empty file, or an in-memory database, is not, and
// a PostgreSQL URL is taken to be.
func TestExists(t *testing.T) {
	dir := t.TempDir()
	full := filepath.Join(dir, "full.db")
	empty := filepath.Join(dir, "empty.db")
	if err := os.WriteFile(full, []byte("SQLite format 3\x00"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		url  string
		want bool
	}{
		{full, true},
		{"sqlite:" + full + "?_busy_timeout=5", true},
		{"file:" + full, true},
		{empty, false},
		{filepath.Join(dir, "missing.db"), false},
		{":memory:", false},
		{"file:shared?mode=memory&cache=shared", false},
		{"postgres://postgres@127.0.0.1:1/none", true},
	} {
		if got, err := Exists(tc.url); err != nil || got != tc.want {
			t.Errorf("Exists(%q) = %v, %v; want %v", tc.url, got, err, tc.want)
		}
	}
	if _, err := Exists("sqlite:"); err == nil {
		t.Error("Exists of an empty SQLite path: no error")
	}
}
