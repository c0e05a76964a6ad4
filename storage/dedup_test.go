package storage_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

func TestMarkProcessed(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		if n := firstDeliveries(t, func(int) *storage.Store { return s }, "Ev1"); n != 1 {
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
		// A key forgotten (its handling failed) is first again; only it.
		if first, err := s.MarkProcessed(ctx, "teams", "Ev2", t0); err != nil || !first {
			t.Fatalf("teams Ev2: first = %v, %v", first, err)
		}
		if err := s.ForgetProcessed(ctx, "slack", "Ev1"); err != nil {
			t.Fatal(err)
		}
		if first, err := s.MarkProcessed(ctx, "slack", "Ev1", t0); err != nil || !first {
			t.Fatalf("after forget: first = %v, %v", first, err)
		}
		if first, err := s.MarkProcessed(ctx, "teams", "Ev2", t0); err != nil || first {
			t.Fatalf("a key not forgotten: first = %v, %v", first, err)
		}
	})
}

// Two replicas on one PostgreSQL database share what was processed: of
// deliveries of one event to both at once exactly one is first, and a key
// one forgets (its handling failed) is first again on the other.
func TestMarkProcessedAcrossReplicas(t *testing.T) {
	ctx := context.Background()
	u := storagetest.URL(t, storage.DialectPostgres)
	replicas := []*storage.Store{storagetest.OpenURL(t, u, storage.Options{}), storagetest.OpenURL(t, u, storage.Options{})}
	for round := range 20 {
		key := "act-" + string(rune('a'+round))
		if n := firstDeliveries(t, func(i int) *storage.Store { return replicas[i%2] }, key); n != 1 {
			t.Fatalf("%s: first deliveries across the replicas = %d, want 1", key, n)
		}
	}
	if err := replicas[0].ForgetProcessed(ctx, "slack", "act-a"); err != nil {
		t.Fatal(err)
	}
	if first, err := replicas[1].MarkProcessed(ctx, "slack", "act-a", t0); err != nil || !first {
		t.Fatalf("after the other replica forgot it: first = %v, %v", first, err)
	}
	if first, err := replicas[1].MarkProcessed(ctx, "slack", "act-b", t0); err != nil || first {
		t.Fatalf("a key not forgotten: first = %v, %v", first, err)
	}
}

// firstDeliveries delivers the Slack event key 8 times at once, the i-th
// to the store of(i), and returns how many were first.
func firstDeliveries(t *testing.T, of func(i int) *storage.Store, key string) int32 {
	var firsts atomic.Int32
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			first, err := of(i).MarkProcessed(context.Background(), "slack", key, t0)
			if err != nil {
				t.Error(err)
			}
			if first {
				firsts.Add(1)
			}
		}()
	}
	wg.Wait()
	return firsts.Load()
}

// An event id is remembered up to handoff.MaxEventIDLen characters, the
// size of its column; a longer one is refused as invalid on both
// databases alike (PostgreSQL's column refused it with an error the
// platform's request was answered 500 for, and SQLite kept it), and
// nothing is recorded.
func TestMarkProcessedRefusesAnOverlongKey(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		for _, tt := range []struct {
			name string
			key  string
			ok   bool
		}{
			{"at the limit", strings.Repeat("P", handoff.MaxEventIDLen), true},
			{"at the limit, in characters beyond ASCII", strings.Repeat("é", handoff.MaxEventIDLen), true},
			{"one over", strings.Repeat("P", handoff.MaxEventIDLen+1), false},
			{"far over", "E" + strings.Repeat("P", 1600), false},
		} {
			first, err := s.MarkProcessed(ctx, "slack", tt.key, t0)
			switch {
			case tt.ok && (err != nil || !first):
				t.Errorf("%s: first = %v, %v; want recorded", tt.name, first, err)
			case !tt.ok && handoff.ErrorCode(err) != handoff.EINVALID:
				t.Errorf("%s: err = %v, want EINVALID", tt.name, err)
			case !tt.ok:
				if n, err := s.PruneProcessed(ctx, t0.Add(time.Hour)); err != nil || n != 2 {
					t.Errorf("%s: recorded %d keys (%v), want only the 2 at the limit", tt.name, n, err)
				}
				if _, err := s.MarkProcessed(ctx, "slack", strings.Repeat("P", handoff.MaxEventIDLen), t0); err != nil {
					t.Fatal(err)
				}
				if _, err := s.MarkProcessed(ctx, "slack", strings.Repeat("é", handoff.MaxEventIDLen), t0); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
}
