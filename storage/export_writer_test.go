package storage

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// WriterPragma returns the value of an SQLite PRAGMA as the writer
// connection sees it.
func (s *Store) WriterPragma(ctx context.Context, name string) (string, error) {
	var v string
	err := s.write.WithContext(ctx).Raw("PRAGMA " + name).Row().Scan(&v)
	return v, err
}

// CheckpointEvery is how many writer commits pass between background checkpoints.
const CheckpointEvery = checkpointEvery

// OpenNotifyingCheckpoints opens an SQLite store like Open and returns a
// channel that receives a value after each background checkpoint.
func OpenNotifyingCheckpoints(ctx context.Context, dbURL string) (*Store, <-chan struct{}, error) {
	ran := make(chan struct{}, 1)
	s, err := Open(ctx, dbURL, Options{checkpointRan: ran})
	return s, ran, err
}

// GatherSaves sets how long SQLite's writer lets a group of saves wait for
// the next save, and in all (gatherSaves), and calls took with a group's
// size when the writer takes it from its queue and whenever it grows.
func (s *Store) GatherSaves(gap time.Duration, took func(size int)) {
	s.group.gather, s.group.gatherMax = gap, gap
	s.group.took = took
}

// QueuedWrites is how many writes wait for SQLite's writer.
func (s *Store) QueuedWrites() int { return len(s.group.queue) }

// HoldWriter queues a write that holds SQLite's writer until release is
// called, and returns once that write runs.
func (s *Store) HoldWriter(ctx context.Context) (release func()) {
	return holdCommitter(ctx, s.group)
}

// holdCommitter queues a write that holds g until release is called, and
// returns once that write runs.
func holdCommitter(ctx context.Context, g *groupCommitter) (release func()) {
	running, hold := make(chan struct{}), make(chan struct{})
	go func() {
		_ = g.run(ctx, func(*gorm.DB) error {
			close(running)
			<-hold
			return nil
		})
	}()
	<-running
	return func() { close(hold) }
}
