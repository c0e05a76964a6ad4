package storage_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/handoff/handoff"

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
		{"wal_autocheckpoint", "4000"}, // the backstop; checkpoints run in the background

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

// The writer does not checkpoint the WAL after its commits: every
// CheckpointEvery commits a checkpoint on another connection copies the
// WAL into the database file, and the leads are there after a reopen.
func TestSQLiteCheckpointsInBackground(t *testing.T) {
	ctx := context.Background()
	path := storagetest.URL(t, storage.DialectSQLite)
	s, ran, err := storage.OpenNotifyingCheckpoints(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	size := func() int64 {
		t.Helper()
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	before := size()
	n := storage.CheckpointEvery
	for i := range n {
		in := input(t, map[string]any{"external_id": fmt.Sprintf("ckpt-%d", i), "email": "a@example.com", "score": 80.0})
		if _, err := s.SaveLead(ctx, in, handoff.DefaultPolicy(), t0, handoff.ActorAPI); err != nil {
			t.Fatal(err)
		}
	}
	<-ran
	if after := size(); after <= before {
		t.Errorf("database file %d bytes after %d commits and a checkpoint, %d before: the WAL was not copied", after, n, before)
	}

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = storage.Open(ctx, path, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, id := range []string{"ckpt-0", fmt.Sprintf("ckpt-%d", n-1)} {
		if _, err := s.LeadByExternalID(ctx, id); err != nil {
			t.Errorf("after reopening: %s: %v", id, err)
		}
	}
}
