package teams

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/handoff/handoff/internal/cache"
)

// newCache returns a cache of what p's Bot Connector says (fetch, kept
// for ttl) whose fetches wait on it at most its Timeout (TEAMS_TIMEOUT),
// the whole fetch (a store read, each call and the token it may need)
// as one wait.
func newCache[V any](p *Platform, ttl time.Duration, fetch func(ctx context.Context, key string) (V, error)) *cache.Cache[V] {
	c := cache.New(ttl, fetch)
	c.FetchTimeout = p.conn.Timeout
	return c
}

// newWatched returns a cache of what p's Bot Connector says of each user
// (fetch, kept for ttl, newCache) that tells changed of a user whose
// answer a fetch found unlike the one it kept: a refresh, once the
// answer is ttl old, finding a change Teams sent no event of (a member
// made a guest, or gone from the sales channel's team while no replica
// heard of it). A user's first fetch, a fetch after their answer was
// dropped, a failed fetch and an answer unchanged tell nothing. changed runs in the fetch, detached
// from any request (cache.Cache), with the fetch's context.
func newWatched[V comparable](p *Platform, ttl time.Duration, fetch func(ctx context.Context, userID string) (V, error),
	changed func(ctx context.Context, userID string)) *cache.Cache[V] {
	var c *cache.Cache[V]
	c = newCache(p, ttl, func(ctx context.Context, userID string) (V, error) {
		before, kept := c.Kept(userID)
		v, err := fetch(ctx, userID)
		if err == nil && kept && v != before {
			changed(ctx, userID)
		}
		return v, err
	})
	return c
}

// refreshed announces userID to the replicas sharing the members (Share),
// whose refresh of what it kept of them (their membership of the sales
// channel's team, or their role in the tenant) found it changed: each of
// the others drops that user's answers alone and asks again at their next
// request, instead of answering the old way until its own answer is 5
// minutes old. Each refresh is of one user, so each change is announced
// with its user (Shared.AnnounceKey), never as a change of everyone
// (Shared.Announce, which would make every replica ask again about every
// user it knows): the others read all the users changed since they last
// looked in one read a second, however many there were. A refresh that
// finds nothing changed announces nothing. An announcement that fails (it
// runs in the refresh, with its context) is tried again at each of this
// replica's next requests (fresh, shareRefreshed), which it does not hold
// up: this replica answers from what its refresh read, and the others as
// before until their own answers run out, as without sharing.
func (m *SalesMembers) refreshed(ctx context.Context, userID string) {
	if err := m.shared.AnnounceKey(ctx, userID); err != nil {
		m.mu.Lock()
		m.unshared[userID] = true
		m.mu.Unlock()
	}
}

// shareRefreshed announces the changes refreshed could not; at the first
// it cannot announce either, it stops and keeps the rest for the next
// call.
func (m *SalesMembers) shareRefreshed(ctx context.Context) {
	m.mu.Lock()
	users := slices.Collect(maps.Keys(m.unshared))
	m.mu.Unlock()
	for _, u := range users {
		if m.shared.AnnounceKey(ctx, u) != nil {
			return
		}
		m.mu.Lock()
		delete(m.unshared, u)
		m.mu.Unlock()
	}
}
