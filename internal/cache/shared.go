package cache

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// DefaultSharedEvery is how often a Shared reads the replicas' count of
// changes.
const DefaultSharedEvery = time.Second

// Stamps is where replicas count the changes of a cached list
// (storage.Store): StampMembers records one more, of one entry (key) or
// of the whole list (key ""), and returns the count; MembersStamp reads
// it (0 before the first); MemberChanges returns the entries changed
// after one count up to another, complete false when one of those
// changes was of the whole list or is no longer kept.
type Stamps interface {
	StampMembers(ctx context.Context, name, key string) (int64, error)
	MembersStamp(ctx context.Context, name string) (int64, error)
	MemberChanges(ctx context.Context, name string, after, upTo int64) (keys []string, complete bool, err error)
}

// Forgetter is a cache that drops one entry or every one: a *Cache.
type Forgetter interface {
	Forget(key string)
	Clear()
}

// Shared carries the changes a service announced to one replica (an
// event, which reaches one of them) to the caches of the others: the
// replica that had the event counts it in Stamps (Announce, AnnounceKey),
// and each replica reads the count at most once every Every (Changed,
// Apply), dropping what it cached when it moved: the entries changed,
// when each change named its entry, else everything. So a replica's
// answer is stale for at most Every (and a read of the service) after
// another replica was told of the change, instead of until its cached
// answer runs out. A nil Shared changes nothing.
type Shared struct {
	name   string
	stamps Stamps
	// Every bounds how often Changed and Apply read Stamps
	// (DefaultSharedEvery); Now is the clock (time.Now). Set them before
	// the first call.
	Every time.Duration
	Now   func() time.Time

	mu    sync.Mutex
	read  time.Time // when the count was last read
	seen  int64     // the count this replica's caches reflect
	known bool      // seen was read
}

// NewShared returns the changes of the cached list name counted in
// stamps.
func NewShared(stamps Stamps, name string) *Shared {
	return &Shared{name: name, stamps: stamps, Every: DefaultSharedEvery, Now: time.Now}
}

// Changed reports whether another replica announced a change since this
// one last looked (at most once every Every; false in between): then
// the caller drops what it cached. The first call notes the count and
// reports false. It returns a wrapped error when the count cannot be
// read; it is read again at the next call.
func (s *Shared) Changed(ctx context.Context) (bool, error) {
	if s == nil {
		return false, nil
	}
	seen, gen, now, err := s.poll(ctx)
	if err != nil || gen == seen {
		return false, err
	}
	s.caughtUp(now, gen)
	return true, nil
}

// Apply drops from c what other replicas announced a change of since
// this one last looked (at most once every Every): the entries they
// named (AnnounceKey), or every entry when one of the changes was of the
// whole list (Announce) or is no longer kept in Stamps. The first call
// notes the count and drops nothing. It returns a wrapped error when the
// changes cannot be read; they are read again at the next call.
func (s *Shared) Apply(ctx context.Context, c Forgetter) error {
	if s == nil {
		return nil
	}
	seen, gen, now, err := s.poll(ctx)
	if err != nil || gen == seen {
		return err
	}
	keys, complete, err := s.stamps.MemberChanges(ctx, s.name, seen, gen)
	if err != nil {
		return fmt.Errorf("cache: changes of %s: %w", s.name, err)
	}
	if complete {
		for _, key := range keys {
			c.Forget(key)
		}
	} else {
		c.Clear()
	}
	s.caughtUp(now, gen)
	return nil
}

// poll reads the count of changes when it is due and returns, at now,
// the count this replica's caches reflect and the one read; the two are
// equal when the count was not due, or nothing changed since, or this was
// the first read, each then noted as caught up.
func (s *Shared) poll(ctx context.Context) (seen, gen int64, now time.Time, err error) {
	now = s.Now()
	s.mu.Lock()
	due := !s.known || now.Sub(s.read) >= s.Every || now.Before(s.read)
	s.mu.Unlock()
	if !due {
		return 0, 0, now, nil
	}
	gen, err = s.stamps.MembersStamp(ctx, s.name)
	if err != nil {
		return 0, 0, now, fmt.Errorf("cache: changes of %s: %w", s.name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.known || gen == s.seen {
		s.read, s.seen, s.known = now, gen, true
	}
	return s.seen, gen, now, nil
}

// caughtUp notes that this replica's caches reflect the count gen, read
// at now.
func (s *Shared) caughtUp(now time.Time, gen int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.read, s.seen, s.known = now, gen, true
}

// Announce counts a change of the whole list this replica was told of,
// for the others, which drop all they cached of it.
// Its own caches, changed by the caller, reflect it: unless another
// replica's change came in between, it is not read back as a change.
// It returns a wrapped error when the count cannot be written.
func (s *Shared) Announce(ctx context.Context) error {
	return s.AnnounceKey(ctx, "")
}

// AnnounceKey counts a change of the entry key this replica was told of
// (a user's profile), as Announce does, for the others, which drop that
// entry alone ("" is the whole list).
func (s *Shared) AnnounceKey(ctx context.Context, key string) error {
	if s == nil {
		return nil
	}
	gen, err := s.stamps.StampMembers(ctx, s.name, key)
	if err != nil {
		return fmt.Errorf("cache: announce a change of %s: %w", s.name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.known && gen == s.seen+1 {
		s.seen = gen
	}
	return nil
}
