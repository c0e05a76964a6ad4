package storage

import (
	"context"
	"database/sql"
)

// OpenConns is how many connections the reader pool and the writer hold
// open, and how many of the readers' are idle.
func (s *Store) OpenConns() (readers, idle, writers int) {
	r, _ := s.db.DB()
	w, _ := s.write.DB()
	rs, ws := r.Stats(), w.Stats()
	return rs.OpenConnections, rs.Idle, ws.OpenConnections
}

// WarmedClaims is how many claims Warm won to ready the claims committer.
func (s *Store) WarmedClaims() int64 { return s.warmedClaims.Load() }

// HoldReaders takes every connection of the reader pool until release is
// called, as a burst of clicks' reads of their leads does.
func (s *Store) HoldReaders(ctx context.Context) (release func(), err error) {
	readers, err := s.db.DB()
	if err != nil {
		return nil, err
	}
	var conns []*sql.Conn
	release = func() {
		for _, c := range conns {
			c.Close()
		}
	}
	for range readers.Stats().MaxOpenConnections {
		c, err := readers.Conn(ctx)
		if err != nil {
			release()
			return nil, err
		}
		conns = append(conns, c)
	}
	return release, nil
}

// TableRows counts the rows of each table.
func (s *Store) TableRows(ctx context.Context, tables ...string) (map[string]int64, error) {
	out := map[string]int64{}
	for _, t := range tables {
		var n int64
		if err := s.db.WithContext(ctx).Table(t).Count(&n).Error; err != nil {
			return nil, err
		}
		out[t] = n
	}
	return out, nil
}
