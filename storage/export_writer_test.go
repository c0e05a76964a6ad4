package storage

import "context"

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
