package storage

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Leases that replicas share (the outbox's, the scheduler's named lease)
// are written and compared on the database's clock, the one clock every
// replica reads the same: on its own clock, a replica whose clock ran
// ahead of another's by more than a lease's margin took the other's
// message or lease early, and the message was sent twice; one behind held
// its leases too long after it died. A caller still passes its own now:
// the store adds the offset of the database's clock from this process's
// (Options.Clock) to it, so that a test's clock moves leases as before.
const (
	// clockTolerance is the offset the leases ignore: below it, they
	// are kept on the caller's clock exactly (two processes on one
	// machine, a test's clock), and the error it leaves is far below
	// any lease.
	clockTolerance = time.Second
	// clockEvery is how often the offset is measured again, so that a
	// clock set right meanwhile (by NTP) is followed.
	clockEvery = time.Minute
)

// dbNowMs reads the database's clock, in Unix milliseconds, by dialect:
// PostgreSQL's clock_timestamp (the server's clock, not the
// transaction's start) and SQLite's julianday('now') (the clock of the
// machine that holds the file).
var dbNowMs = map[string]string{
	DialectPostgres: `SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS bigint)`,
	DialectSQLite:   `SELECT CAST(ROUND((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER)`,
}

// dbClock is the measured offset of the database's clock from wall.
type dbClock struct {
	wall func() time.Time // time.Now when nil

	mu       sync.Mutex
	offset   time.Duration // the database's clock minus wall; 0 within clockTolerance
	measured time.Time     // by wall, when offset was measured; zero before the first time
}

// leaseOffset returns what to add to an instant of this process's clock to
// have it on the database's clock, measured again once clockEvery has
// passed since the last time.
func (s *Store) leaseOffset(ctx context.Context) (time.Duration, error) {
	c := &s.clock
	c.mu.Lock()
	defer c.mu.Unlock()
	if now := c.now(); !c.measured.IsZero() && !now.Before(c.measured) && now.Sub(c.measured) < clockEvery {
		return c.offset, nil
	}
	before := c.now()
	var dbMs int64
	if err := s.db.WithContext(ctx).Raw(dbNowMs[s.dialect]).Row().Scan(&dbMs); err != nil {
		return 0, fmt.Errorf("read the database's clock: %w", err)
	}
	after := c.now()
	offset := time.UnixMilli(dbMs).Sub(before.Add(after.Sub(before) / 2))
	if offset.Abs() < clockTolerance {
		offset = 0
	}
	c.offset, c.measured = offset, after
	return offset, nil
}

// now reads wall.
func (c *dbClock) now() time.Time {
	if c.wall == nil {
		return time.Now()
	}
	return c.wall()
}
