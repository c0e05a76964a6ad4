package storage

import (
	"context"
	"database/sql"
)

// SQLite appends every commit to the WAL; a checkpoint copies the WAL's
// pages into the database file (and fsyncs it) so that the WAL can start
// again from its beginning. SQLite's default runs that checkpoint on the
// connection that committed, after its commit: on the single writer, every
// ~30 intake commits one commit took several times as long, and every
// write queued behind it.
const (
	// checkpointEvery is how many of the writer's commits pass between two
	// background checkpoints: 1,000-1,700 WAL pages at intake's 30-55 pages
	// a commit (SQLite's default is 1,000); checkpointing every 256 commits
	// instead was no faster (BENCHMARKS.md, "Thirteenth session").
	checkpointEvery = 32
	// walBackstop is the writer's own wal_autocheckpoint, in pages: it
	// checkpoints only when the WAL outgrows that, which bounds the WAL
	// should the background checkpoints fall behind. A background
	// checkpoint that ends while the writer is inside a transaction cannot
	// let the WAL restart; the writer's, right after its commit, can.
	walBackstop = 4000
)

// checkpointer runs SQLite's PASSIVE checkpoints on a goroutine of its own
// and a reader connection, off the writer's path: a passive checkpoint
// takes no write lock, so the writer goes on committing while it runs.
type checkpointer struct {
	db      *sql.DB
	wake    chan struct{}
	stopped chan struct{}
	commits int // the writer's commits since the last wake; the committer's goroutine only
	ran     chan<- struct{}
}

// newCheckpointer starts checkpointing db's WAL when woken. ran, when not
// nil, receives a value after each checkpoint (for tests).
func newCheckpointer(db *sql.DB, ran chan<- struct{}) *checkpointer {
	c := &checkpointer{db: db, wake: make(chan struct{}, 1), stopped: make(chan struct{}), ran: ran}
	go c.loop()
	return c
}

// committed counts one commit of the writer and wakes the checkpointer
// every checkpointEvery commits. It never blocks: a wake while a
// checkpoint runs is folded into the next one.
func (c *checkpointer) committed() {
	if c.commits++; c.commits < checkpointEvery {
		return
	}
	c.commits = 0
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *checkpointer) loop() {
	defer close(c.stopped)
	for range c.wake {
		// A checkpoint that fails or is busy leaves the WAL as it was: the
		// next one, or the writer's backstop, copies it.
		_, _ = c.db.ExecContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)")
		select {
		case c.ran <- struct{}{}: // nil, or a test's buffered channel
		default:
		}
	}
}

// stop waits for a running checkpoint and ends the goroutine. The writer
// must have stopped committing.
func (c *checkpointer) stop() {
	close(c.wake)
	<-c.stopped
}
