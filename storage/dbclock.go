package storage

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Handoff keeps its time on the database's clock, the one clock every
// replica reads the same. On their own clocks, a replica whose clock ran
// ahead of another's by more than a lease took the other's message or
// lease early, and the message was sent twice; and the times a replica
// stamps and counts from (a lead's SQL time and deadlines, a message's
// due time, a retry's) were minutes off, so the replica whose clock was
// right fired another's reminders and escalations minutes late (early,
// for a clock behind) and left its messages undue for minutes. Store.Clock
// moves a clock onto the database's: it adds the offset of the database's
// clock from this process's (Options.Clock), measured once a minute.
// cmd/handoff runs every part of serve on it, and every time passed to
// the store (leases included) is taken to be on it.
const (
	// clockTolerance is the offset ignored: below it, a clock is kept
	// exactly (two processes on one machine, a test's clock), and the
	// error it leaves is far below any lease or deadline.
	clockTolerance = time.Second
	// clockEvery is how often the offset is measured again, so that a
	// clock set right meanwhile (by NTP) is followed.
	clockEvery = time.Minute
	// clockReadTimeout bounds one reading of the database's clock.
	clockReadTimeout = 5 * time.Second
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

	mu      sync.Mutex                   // held while the offset is measured
	reading atomic.Pointer[clockReading] // the last measurement; nil before the first
}

// clockReading is one measurement of the offset.
type clockReading struct {
	offset time.Duration // the database's clock minus wall; 0 within clockTolerance
	at     time.Time     // by wall, when it was measured
}

// Clock returns now moved onto the database's clock: now() plus the offset
// of the database's clock from this process's clock (Options.Clock),
// measured again once a minute has passed since it last was, and 0 when
// under a second. A process whose clock is right (or a test's clock of its
// own, on the machine of its database) keeps its time exactly. cmd/handoff
// runs serve on it: every time it passes the store, stamps on a lead or
// counts a deadline from is the database's, the same on every replica.
func (s *Store) Clock(now func() time.Time) func() time.Time {
	return func() time.Time { return now().Add(s.clockOffset()) }
}

// ClockOffset returns the offset Clock last added (the database's clock
// minus this process's, 0 within a second), and false before it was first
// measured. It measures nothing: the metrics read it at every scrape.
func (s *Store) ClockOffset() (time.Duration, bool) {
	if r := s.clock.reading.Load(); r != nil {
		return r.offset, true
	}
	return 0, false
}

// clockOffset returns the offset Clock adds. The first call measures it;
// later, once clockEvery has passed, one caller measures it again while
// the others go on with the last measurement. A measurement that fails
// (the database unreachable) keeps the last offset (0 before any) until
// clockEvery has passed again.
func (s *Store) clockOffset() time.Duration {
	c := &s.clock
	last := c.reading.Load()
	if last != nil && c.fresh(last) {
		return last.offset
	}
	if last == nil {
		c.mu.Lock()
	} else if !c.mu.TryLock() {
		return last.offset // being measured
	}
	defer c.mu.Unlock()
	if last = c.reading.Load(); last != nil && c.fresh(last) {
		return last.offset
	}
	ctx, cancel := context.WithTimeout(context.Background(), clockReadTimeout)
	defer cancel()
	offset, err := s.measureClock(ctx)
	if err != nil {
		offset = 0
		if last != nil {
			offset = last.offset
		}
	}
	c.reading.Store(&clockReading{offset: offset, at: c.now()})
	return offset
}

// fresh reports whether r was measured less than clockEvery ago.
func (c *dbClock) fresh(r *clockReading) bool {
	now := c.now()
	return !now.Before(r.at) && now.Sub(r.at) < clockEvery
}

// measureClock reads the database's clock and returns its offset from
// wall, 0 within clockTolerance.
func (s *Store) measureClock(ctx context.Context) (time.Duration, error) {
	c := &s.clock
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
	return offset, nil
}

// now reads wall.
func (c *dbClock) now() time.Time {
	if c.wall == nil {
		return time.Now()
	}
	return c.wall()
}
