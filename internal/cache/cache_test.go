package cache_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/handoff/handoff/internal/cache"
)

// source is a fetch function that counts calls and can be stalled.
type source struct {
	mu      sync.Mutex
	calls   int
	value   string
	err     error
	stall   chan struct{} // while not nil, fetches wait for it to close
	arrived chan struct{}
}

func (s *source) fetch(ctx context.Context, key string) (string, error) {
	s.mu.Lock()
	s.calls++
	stall, arrived, v, err := s.stall, s.arrived, s.value, s.err
	s.mu.Unlock()
	if arrived != nil {
		arrived <- struct{}{}
	}
	if stall != nil {
		<-stall
	}
	return key + "=" + v, err
}

func (s *source) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

func TestCache(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }

	t.Run("FreshValueIsNotFetchedAgain", func(t *testing.T) {
		src := &source{value: "1"}
		c := cache.New(time.Minute, src.fetch)
		c.Now = clock
		for range 3 {
			if v, err := c.Get(ctx, "k"); err != nil || v != "k=1" {
				t.Fatalf("Get = %q, %v", v, err)
			}
		}
		if src.count() != 1 {
			t.Fatalf("fetches = %d, want 1", src.count())
		}
	})

	t.Run("FirstFetchErrorIsReturned", func(t *testing.T) {
		src := &source{err: errors.New("down")}
		c := cache.New(time.Minute, src.fetch)
		if _, err := c.Get(ctx, "k"); err == nil {
			t.Fatal("Get succeeded with a failing source")
		}
	})

	t.Run("StaleValueIsServedWhileTheSourceStalls", func(t *testing.T) {
		src := &source{value: "old"}
		at := now
		c := cache.New(time.Minute, src.fetch)
		c.Now = func() time.Time { return at }
		if _, err := c.Get(ctx, "k"); err != nil {
			t.Fatal(err)
		}
		at = at.Add(2 * time.Minute)
		release := make(chan struct{})
		src.mu.Lock()
		src.stall, src.arrived, src.value = release, make(chan struct{}, 4), "new"
		src.mu.Unlock()
		for range 3 { // callers never wait on the stalled refresh
			if v, err := c.Get(ctx, "k"); err != nil || v != "k=old" {
				t.Fatalf("Get during a stalled refresh = %q, %v; want the stale value", v, err)
			}
		}
		<-src.arrived
		close(release)
		if src.count() != 2 {
			t.Fatalf("fetches = %d, want 2 (one refresh for every stale caller)", src.count())
		}
	})

	t.Run("FirstValueWaitIsBounded", func(t *testing.T) {
		src := &source{stall: make(chan struct{})}
		defer close(src.stall)
		c := cache.New(time.Minute, src.fetch)
		c.Wait = time.Millisecond
		if _, err := c.Get(ctx, "k"); err == nil {
			t.Fatal("Get of a never-fetched key on a stalled source succeeded")
		}
	})

	// A Get whose wait runs out says whether the fetch was then calling
	// its service (Calling) or held up on the way to it; the fetch is
	// held until the test ends, so the wait always runs out.
	for name, calling := range map[string]bool{"SlowBeforeTheCall": false, "SlowInTheCall": true} {
		t.Run(name, func(t *testing.T) {
			arrived, release := make(chan struct{}), make(chan struct{})
			defer close(release)
			c := cache.New(time.Minute, func(ctx context.Context, key string) (string, error) {
				if calling {
					defer cache.Calling(ctx)()
				}
				arrived <- struct{}{}
				<-release
				return key, nil
			})
			c.Wait = time.Millisecond
			go func() { _, _ = c.Get(ctx, "k") }() // starts the fetch
			<-arrived
			_, err := c.Get(ctx, "k")
			var slow *cache.SlowError
			if !errors.As(err, &slow) || slow.Calling != calling {
				t.Fatalf("Get = %v (%#v), want a SlowError whose Calling is %v", err, slow, calling)
			}
		})
	}

	t.Run("CallingOutsideAFetchNotesNothing", func(t *testing.T) {
		cache.Calling(ctx)()
	})

	// A stale Get answers the value kept and refreshes it through Go, which
	// a test replaces to wait for the refresh; Kept reads the value kept,
	// fresh or stale, fetching nothing.
	t.Run("StaleGetRefreshesThroughGoAndKeptReadsWithoutFetching", func(t *testing.T) {
		src := &source{value: "old"}
		at := now
		c := cache.New(time.Minute, src.fetch)
		c.Now = func() time.Time { return at }
		var fetches sync.WaitGroup
		c.Go = fetches.Go
		if _, ok := c.Kept("k"); ok {
			t.Fatal("Kept of a key never fetched says it has a value")
		}
		if _, err := c.Get(ctx, "k"); err != nil {
			t.Fatal(err)
		}
		src.mu.Lock()
		src.value = "new"
		src.mu.Unlock()
		if v, ok := c.Kept("k"); !ok || v != "k=old" {
			t.Fatalf("Kept = %q, %v; want the value fetched", v, ok)
		}
		at = at.Add(time.Minute)
		if v, err := c.Get(ctx, "k"); err != nil || v != "k=old" {
			t.Fatalf("Get of a stale value = %q, %v; want it at once", v, err)
		}
		fetches.Wait()
		if v, ok := c.Kept("k"); !ok || v != "k=new" {
			t.Fatalf("Kept after the refresh = %q, %v; want the value it fetched", v, ok)
		}
		if v, err := c.Get(ctx, "k"); err != nil || v != "k=new" {
			t.Fatalf("Get after the refresh = %q, %v; want the value it fetched", v, err)
		}
		if src.count() != 2 {
			t.Fatalf("fetches = %d, want 2 (Kept fetches nothing)", src.count())
		}
	})

	t.Run("UpdateChangesTheCachedValue", func(t *testing.T) {
		src := &source{value: "1"}
		c := cache.New(time.Minute, src.fetch)
		c.Now = clock
		c.Update("never", func(string) string { return "invented" })
		if _, err := c.Get(ctx, "k"); err != nil {
			t.Fatal(err)
		}
		c.Update("k", func(v string) string { return v + ", then told" })
		if v, err := c.Get(ctx, "k"); err != nil || v != "k=1, then told" {
			t.Fatalf("Get after Update = %q, %v", v, err)
		}
		if v, err := c.Get(ctx, "never"); err != nil || v != "never=1" {
			t.Fatalf("Get of a key updated before any fetch = %q, %v; want it fetched", v, err)
		}
		if src.count() != 2 {
			t.Fatalf("fetches = %d, want 2", src.count())
		}
	})

	// A change announced while a fetch is under way is newer than what the
	// fetch may read: its answer is not kept, and a caller that asks after
	// the change does not join it but has a fetch of its own, whose answer
	// the callers from before get too when it is stored first.
	for name, change := range map[string]func(c *cache.Cache[string]){
		"ForgetDuringAFetch": func(c *cache.Cache[string]) { c.Forget("k") },
		"UpdateDuringAFetch": func(c *cache.Cache[string]) { c.Update("k", func(v string) string { return v }) },
	} {
		t.Run(name, func(t *testing.T) {
			release := make(chan struct{})
			src := &source{value: "before", stall: release, arrived: make(chan struct{}, 1)}
			c := cache.New(time.Minute, src.fetch)
			c.Now = clock
			c.Wait = time.Minute
			got := make(chan string)
			go func() {
				v, _ := c.Get(ctx, "k")
				got <- v
			}()
			<-src.arrived
			change(c)
			src.mu.Lock()
			src.stall, src.arrived, src.value = nil, nil, "after"
			src.mu.Unlock()
			later := make(chan string, 1)
			go func() {
				v, _ := c.Get(ctx, "k")
				later <- v
			}()
			select { // the first fetch is still stalled: a joined one waits for it
			case v := <-later:
				if v != "k=after" {
					t.Errorf("a caller after the change got %q, want k=after", v)
				}
			case <-time.After(10 * time.Second):
				t.Error("a caller after the change joined the fetch from before it")
			}
			close(release)
			if v := <-got; v != "k=after" { // the later fetch's, stored by then
				t.Fatalf("the caller that asked first got %q, want the answer stored since", v)
			}
			if v, err := c.Get(ctx, "k"); err != nil || v != "k=after" {
				t.Fatalf("Get after the change = %q, %v; want a new fetch", v, err)
			}
		})
	}
}
