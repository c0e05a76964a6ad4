package storage_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/handoff/handoff"

	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"

	_ "github.com/mattn/go-sqlite3" // the driver, for a database made without the store
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
		{"page_size", "2048"},          // a new database's: fewer bytes in the WAL a commit

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

// A database created before pages of 2,048 bytes keeps its own size: Open
// creates only a file that is missing or empty, and the store works on it.
func TestSQLiteExistingDatabaseKeepsItsPageSize(t *testing.T) {
	ctx := context.Background()
	path := storagetest.URL(t, storage.DialectSQLite)
	old, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"PRAGMA page_size = 4096", "PRAGMA journal_mode = WAL", "CREATE TABLE older (a)"} {
		if _, err := old.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	old.Close()
	s, err := storage.Open(ctx, path, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	in := input(t, map[string]any{"external_id": "older-page", "email": "a@example.com", "score": 80.0})
	if _, err := s.SaveLead(ctx, in, handoff.DefaultPolicy(), t0, handoff.ActorAPI); err != nil {
		t.Fatal(err)
	}
	if got, err := s.WriterPragma(ctx, "page_size"); err != nil || got != "4096" {
		t.Errorf("page_size = %q (%v), want the database's own 4096", got, err)
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

// Once SQLite's writer has committed a group of several saves, a save it
// takes alone waits for the next one (gatherSaves): concurrent clients
// answered together come back one after the other, and the first of them
// no longer pays a commit of its own.
func TestSQLiteSavesGatherAfterAGroup(t *testing.T) {
	r := newGatherRig(t, time.Hour)
	c := r.save("gather-c")
	<-r.took
	d := r.save("gather-d")
	if size := <-r.took; size != 2 {
		t.Errorf("a save arriving after the writer took one alone, after a group of three, made a group of %d, want 2 (the first one's)", size)
	}
	r.s.HoldWriter(r.ctx)() // another write ends the wait
	r.wait(c, d)
}

// Saves that queue while a group commits count towards the next group:
// it waits for them and for the writers the commit answered. With 8
// clients and a commit dearer than a client's turn, groups otherwise
// settle at 4 and 4, each half queueing while the other commits.
func TestSQLiteGatherWaitsForBothHalves(t *testing.T) {
	ctx := context.Background()
	s := storagetest.Open(t, storage.DialectSQLite)
	took := make(chan int, 64)
	s.GatherSaves(time.Hour, func(size int) { took <- size })
	r := &gatherRig{t: t, ctx: ctx, s: s, took: took}
	queued := func(n int) {
		for s.QueuedWrites() < n {
			time.Sleep(time.Millisecond)
		}
	}
	release := s.HoldWriter(ctx)
	<-took
	// The first half: two saves and a write that holds the group's commit.
	first := []<-chan error{r.save("half-a1"), r.save("half-a2")}
	queued(2)
	held := make(chan func(), 1)
	go func() { held <- s.HoldWriter(ctx) }()
	queued(3)
	release()
	if size := <-took; size != 3 {
		t.Fatalf("first half taken as a group of %d, want 3", size)
	}
	releaseFirst := <-held
	// The second half queues while the first commits.
	second := []<-chan error{r.save("half-b1"), r.save("half-b2"), r.save("half-b3")}
	queued(3)
	releaseFirst()
	r.wait(first...)
	if size := <-took; size != 3 {
		t.Fatalf("second half taken as a group of %d, want 3", size)
	}
	// The first half's writers come back: the group waits for them.
	again := []<-chan error{r.save("half-a1-again"), r.save("half-a2-again"), r.save("half-a3-again")}
	for want := 4; want <= 6; want++ {
		if size := <-took; size != want {
			t.Fatalf("the second half's group grew to %d, want %d", size, want)
		}
	}
	r.wait(append(second, again...)...)
}

// A write other than a save (a claim, an outbox message) ends the writer's
// wait for more saves: it commits with the saves gathered so far.
func TestSQLiteGatherEndsOnOtherWrite(t *testing.T) {
	r := newGatherRig(t, 20*time.Second)
	c := r.save("end-c") // taken alone after a group of three: the writer waits for two more saves
	<-r.took
	held := make(chan func(), 1)
	go func() { held <- r.s.HoldWriter(r.ctx) }()
	select {
	case release := <-held:
		release()
	case <-time.After(10 * time.Second): // half the wait for saves
		go func() { (<-held)() }()
		t.Fatal("a write queued behind a gathering save did not run: the writer kept waiting for saves")
	}
	r.wait(c)
}

// gatherRig is an SQLite store whose writer gathers saves with the given
// gap and has just committed a group of three saves.
type gatherRig struct {
	t    *testing.T
	ctx  context.Context
	s    *storage.Store
	took chan int // the writer's group sizes as it takes and grows them
}

func newGatherRig(t *testing.T, gap time.Duration) *gatherRig {
	r := &gatherRig{t: t, ctx: context.Background(), s: storagetest.Open(t, storage.DialectSQLite), took: make(chan int, 16)}
	r.s.GatherSaves(gap, func(size int) { r.took <- size })
	// The saves queue while a write holds the writer.
	release := r.s.HoldWriter(r.ctx)
	<-r.took
	saves := []<-chan error{r.save("rig-a"), r.save("rig-b"), r.save("rig-c")}
	for r.s.QueuedWrites() < len(saves) {
		time.Sleep(time.Millisecond)
	}
	release()
	if size := <-r.took; size != len(saves) {
		t.Fatalf("the queued saves were taken as a group of %d, want %d", size, len(saves))
	}
	r.wait(saves...)
	return r
}

// save saves a new lead in a goroutine of its own.
func (r *gatherRig) save(id string) <-chan error {
	in := input(r.t, map[string]any{"external_id": id, "email": id + "@example.com", "score": 80.0})
	done := make(chan error, 1)
	go func() {
		_, err := r.s.SaveLead(r.ctx, in, handoff.DefaultPolicy(), t0, handoff.ActorAPI)
		done <- err
	}()
	return done
}

func (r *gatherRig) wait(dones ...<-chan error) {
	r.t.Helper()
	for _, d := range dones {
		if err := <-d; err != nil {
			r.t.Fatal(err)
		}
	}
}
