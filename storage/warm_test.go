package storage_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// Warm opens the whole pool before the first request and leaves its
// connections idle in the pool, ready: afterwards a read finds a lead
// saved since, and a warmed store serves reads on every connection.
func TestWarmOpensThePool(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			s := storagetest.OpenWith(t, dialect, storage.Options{MaxConns: 3})
			if readers, _, _ := s.OpenConns(); readers >= 3 {
				t.Fatalf("%d reader connections open before Warm; the test cannot tell", readers)
			}
			if err := s.Warm(ctx); err != nil {
				t.Fatal(err)
			}
			readers, idle, writers := s.OpenConns()
			if readers != 3 || idle != 3 || writers < 1 {
				t.Fatalf("after Warm: %d reader connections (%d idle) and %d writer connections; want 3 (3 idle) and at least 1", readers, idle, writers)
			}
			lead := saveSQL(t, s, "warm", "Acme", time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
			if got, err := s.Lead(ctx, lead.ID); err != nil || got == nil {
				t.Fatalf("a lead saved after Warm: %v, %v", got, err)
			}
		})
	}
}

// Warm before Migrate fails: there are no leads to read, and the caller
// learns so instead of a pool that looks ready. A cancelled context stops it.
func TestWarmFails(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			s, err := storage.Open(ctx, storagetest.URL(t, dialect), storage.Options{MaxConns: 2})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			if err := s.Warm(ctx); err == nil {
				t.Fatal("Warm before Migrate succeeded")
			}
			if err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			cancelled, cancel := context.WithCancel(ctx)
			cancel()
			if err := s.Warm(cancelled); !errors.Is(err, context.Canceled) {
				t.Fatalf("Warm with a cancelled context: %v", err)
			}
		})
	}
}
