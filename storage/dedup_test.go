package storage_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

func TestMarkProcessed(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		var firsts atomic.Int32
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				first, err := s.MarkProcessed(ctx, "slack", "Ev1", t0)
				if err != nil {
					t.Error(err)
				}
				if first {
					firsts.Add(1)
				}
			}()
		}
		wg.Wait()
		if n := firsts.Load(); n != 1 {
			t.Fatalf("first deliveries = %d, want 1", n)
		}
		// The same key from another source is another event.
		if first, err := s.MarkProcessed(ctx, "teams", "Ev1", t0); err != nil || !first {
			t.Fatalf("other source: first = %v, %v", first, err)
		}
		n, err := s.PruneProcessed(ctx, t0.Add(time.Hour))
		if err != nil || n != 2 {
			t.Fatalf("pruned = %d, %v; want 2", n, err)
		}
		if first, err := s.MarkProcessed(ctx, "slack", "Ev1", t0); err != nil || !first {
			t.Fatalf("after prune: first = %v, %v", first, err)
		}
	})
}
