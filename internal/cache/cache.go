// Package cache keeps answers of slow outside services (a chat platform's
// member lists, user profiles) for a while, so that a request never waits
// on a service that already answered recently, and never holds a lock
// while the service is asked.
package cache

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of a Cache.
const (
	DefaultWait         = 2 * time.Second
	DefaultFetchTimeout = 10 * time.Second
)

// Cache holds one value per key, fetched by a function. A fresh value is
// returned at once. A stale one is returned at once too, while one fetch
// (per key, however many callers) refreshes it in the background. Only a
// key never fetched makes the caller wait, for at most Wait. Fetches run
// detached from the caller's context, with their own FetchTimeout, so a
// caller that gives up does not cancel the fetch for the others. Its
// methods are safe for concurrent use.
type Cache[V any] struct {
	fetch func(ctx context.Context, key string) (V, error)
	ttl   time.Duration
	// Wait bounds how long Get waits for a key's first value (DefaultWait);
	// FetchTimeout bounds one fetch (DefaultFetchTimeout); Now is the
	// clock (time.Now). Set them before the first Get. The two differ: a
	// caller waits at most Wait, then answers without the value (a click
	// is answered within the platform's few seconds), while the fetch
	// goes on for up to FetchTimeout, for the next Get; so FetchTimeout
	// is the service's own bound (a platform's SLACK_TIMEOUT or
	// TEAMS_TIMEOUT, as the platform's packages set it), most often
	// longer than Wait.
	//
	// Go runs each fetch in the background (go fetch()); a test may
	// replace it, as it replaces Now, to wait for the fetches its Gets
	// started. Set it before the first Get too.
	Wait         time.Duration
	FetchTimeout time.Duration
	Now          func() time.Time
	Go           func(fetch func())

	mu      sync.Mutex
	entries map[string]entry[V]
	// fetching holds the fetch under way of each key, which every Get of
	// the key joins (one at a time). An Update or a Forget
	// during a fetch marks it overtaken and drops it from here, so that a
	// Get after the change starts a fetch of its own.
	fetching map[string]*inflight[V]
}

// inflight is one fetch of a key under way, and, once done is closed, its
// answer.
type inflight[V any] struct {
	overtaken bool // an Update or a Forget of the key came during it: it stores nothing (c.mu)
	// calling counts the fetch's calls of its service under way (Calling).
	calling atomic.Int32
	done    chan struct{}
	value   V
	err     error
}

type entry[V any] struct {
	value   V
	fetched time.Time // when the value was fetched, or a refresh last failed
}

// New returns a cache whose values are fresh for ttl after fetch returned
// them.
func New[V any](ttl time.Duration, fetch func(ctx context.Context, key string) (V, error)) *Cache[V] {
	return &Cache[V]{fetch: fetch, ttl: ttl, Wait: DefaultWait, FetchTimeout: DefaultFetchTimeout, Now: time.Now,
		Go: func(fetch func()) { go fetch() }, entries: map[string]entry[V]{}, fetching: map[string]*inflight[V]{}}
}

// Get returns key's value: the cached one when there is one (refreshing it
// in the background when older than the TTL), else the result of a fetch.
// It returns the fetch's error, ctx's error, or a *SlowError (the fetch
// did not end within Wait), only when no value was ever fetched.
func (c *Cache[V]) Get(ctx context.Context, key string) (V, error) {
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok {
		if c.Now().Sub(e.fetched) >= c.ttl {
			c.join(key)
		}
		return e.value, nil
	}
	f := c.join(key)
	timer := time.NewTimer(c.Wait)
	defer timer.Stop()
	var zero V
	select {
	case <-f.done:
		return f.value, f.err
	case <-ctx.Done():
		return zero, ctx.Err()
	case <-timer.C:
		return zero, &SlowError{Key: key, Wait: c.Wait, Calling: f.calling.Load() > 0}
	}
}

// Kept returns key's cached value, fresh or stale, without fetching it;
// ok is false when none is kept.
func (c *Cache[V]) Kept(key string) (v V, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	return e.value, ok
}

// join returns key's fetch under way, starting one when there is none.
func (c *Cache[V]) join(key string) *inflight[V] {
	c.mu.Lock()
	f, ok := c.fetching[key]
	if !ok {
		f = &inflight[V]{done: make(chan struct{})}
		c.fetching[key] = f
	}
	c.mu.Unlock()
	if !ok {
		c.Go(func() { c.refresh(key, f) })
	}
	return f
}

// SlowError is Get's error when the first fetch of Key did not end within
// Wait (it goes on, for the next Get). Calling says whether the fetch was
// calling its service then (Calling): the service was slow; else the
// fetch was held up before or between its calls (the reads of a store it
// makes on the way).
type SlowError struct {
	Key     string
	Wait    time.Duration
	Calling bool
}

// Error names the key and the wait, and whether the service was being
// called.
func (e *SlowError) Error() string {
	if !e.Calling {
		return fmt.Sprintf("cache: no answer for %q within %v, before the service was called", e.Key, e.Wait)
	}
	return fmt.Sprintf("cache: no answer for %q within %v", e.Key, e.Wait)
}

// callingKey is the context key of a fetch's count of calls under way.
type callingKey struct{}

// Calling notes, in the context of a Cache's fetch, that the fetch is
// calling its service, until the returned function is called: a Get
// whose wait runs out meanwhile says so (SlowError.Calling). Outside a
// fetch it notes nothing.
func Calling(ctx context.Context) (done func()) {
	n, ok := ctx.Value(callingKey{}).(*atomic.Int32)
	if !ok {
		return func() {}
	}
	n.Add(1)
	return func() { n.Add(-1) }
}

// refresh is the fetch f of key: it fetches key, stores the value and
// sets f's answer, for the callers that joined it. A failed fetch keeps
// the old value (and waits a TTL before trying again) and answers the
// error. A fetch overtaken by an Update or a Forget of its key stores
// nothing (the service may have answered from before the change it
// announced) and answers the value stored since, if any, else its own.
func (c *Cache[V]) refresh(key string, f *inflight[V]) {
	ctx, cancel := context.WithTimeout(context.WithValue(context.Background(), callingKey{}, &f.calling), c.FetchTimeout)
	defer cancel()
	v, err := c.fetch(ctx, key)
	c.mu.Lock()
	defer c.mu.Unlock()
	defer close(f.done)
	if c.fetching[key] == f {
		delete(c.fetching, key)
	}
	if f.overtaken {
		if e, ok := c.entries[key]; ok {
			f.value = e.value
			return
		}
		f.value, f.err = v, err
		return
	}
	f.value, f.err = v, err
	if err != nil {
		if old, ok := c.entries[key]; ok {
			old.fetched = c.Now()
			c.entries[key] = old
		}
		return
	}
	c.entries[key] = entry[V]{value: v, fetched: c.Now()}
}

// Update applies change to key's value, when one is cached, for news the
// service sent as it happened (an event) that its answers may not show
// yet; a fetch already under way does not undo it. A key never fetched
// stays so: the next Get asks the service.
func (c *Cache[V]) Update(key string, change func(V) V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.overtake(key)
	if e, ok := c.entries[key]; ok {
		e.value = change(e.value)
		c.entries[key] = e
	}
}

// Forget drops key, so the next Get fetches it; a fetch already under way
// does not store its answer, nor is it joined by a Get after the Forget.
func (c *Cache[V]) Forget(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.overtake(key)
	delete(c.entries, key)
}

// overtake marks key's fetch under way, if any, overtaken by a change, and
// leaves it to the callers that joined it before: a later Get starts a
// fetch of its own. c.mu is held.
func (c *Cache[V]) overtake(key string) {
	if f, ok := c.fetching[key]; ok {
		f.overtaken = true
		delete(c.fetching, key)
	}
}

// Clear drops every key, as Forget drops one.
func (c *Cache[V]) Clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for key := range c.fetching {
		c.overtake(key)
	}
	clear(c.entries)
}
