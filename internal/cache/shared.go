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
// (storage.Store): Stamp records one more and returns the count, Stamped
// reads it (0 before the first).
type Stamps interface {
	StampMembers(ctx context.Context, name string) (int64, error)
	MembersStamp(ctx context.Context, name string) (int64, error)
}

// Shared carries the changes a service announced to one replica (an
// event, which reaches one of them) to the caches of the others: the
// replica that had the event counts it in Stamps (Announce), and each
// replica reads the count at most once every Every (Changed), dropping
// what it cached when it moved. So a replica's answer is stale for at
// most Every (and a read of the service) after another replica was told
// of the change, instead of until its cached answer runs out. A nil
// Shared changes nothing.
type Shared struct {
	name   string
	stamps Stamps
	// Every bounds how often Changed reads Stamps (DefaultSharedEvery);
	// Now is the clock (time.Now). Set them before the first call.
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
	now := s.Now()
	s.mu.Lock()
	due := !s.known || now.Sub(s.read) >= s.Every || now.Before(s.read)
	s.mu.Unlock()
	if !due {
		return false, nil
	}
	gen, err := s.stamps.MembersStamp(ctx, s.name)
	if err != nil {
		return false, fmt.Errorf("cache: changes of %s: %w", s.name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	changed := s.known && gen != s.seen
	s.read, s.seen, s.known = now, gen, true
	return changed, nil
}

// Announce counts a change this replica was told of, for the others.
// Its own caches, changed by the caller, reflect it: unless another
// replica's change came in between, it is not read back as a change.
// It returns a wrapped error when the count cannot be written.
func (s *Shared) Announce(ctx context.Context) error {
	if s == nil {
		return nil
	}
	gen, err := s.stamps.StampMembers(ctx, s.name)
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
