package storage_test

import (
	"context"
	"testing"

	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// The SQLite writer commits durably (WAL, synchronous=FULL) and keeps its
// statement journals in memory (temp_store=MEMORY) rather than in a file.
func TestSQLiteWriterSettings(t *testing.T) {
	s := storagetest.Open(t, storage.DialectSQLite)
	for _, tc := range []struct{ pragma, want string }{
		{"journal_mode", "wal"},
		{"synchronous", "2"}, // FULL
		{"temp_store", "2"},  // MEMORY
		{"foreign_keys", "1"},
	} {
		t.Run(tc.pragma, func(t *testing.T) {
			got, err := s.WriterPragma(context.Background(), tc.pragma)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("PRAGMA %s = %q, want %q", tc.pragma, got, tc.want)
			}
		})
	}
}
