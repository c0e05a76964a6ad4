package storage

import "context"

// WriterPragma returns the value of an SQLite PRAGMA as the writer
// connection sees it.
func (s *Store) WriterPragma(ctx context.Context, name string) (string, error) {
	var v string
	err := s.write.WithContext(ctx).Raw("PRAGMA " + name).Row().Scan(&v)
	return v, err
}
