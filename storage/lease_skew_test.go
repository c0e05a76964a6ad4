package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// skewedReplica is a store with the clock its replica reads.
type skewedReplica struct {
	store *storage.Store
	clock func() time.Time
}

// TestLeasesHoldAcrossSkewedClocks: two replicas share one database, the
// clock of one 5 minutes ahead of the other's, each running on its
// store's Clock as serve does. Neither takes an outbox message or the
// scheduler's lease that the other holds, and each takes what the other
// held once the lease has run out on the database's clock, not 5 minutes
// early or late.
func TestLeasesHoldAcrossSkewedClocks(t *testing.T) {
	const lease, skew = 2 * time.Minute, 5 * time.Minute
	ahead := func() time.Time { return time.Now().Add(skew) }
	cases := []struct {
		name       string
		aheadHolds bool          // whether the replica ahead takes the lease first
		after      time.Duration // how long after that, by its own clock, the other tries
		want       bool          // whether the other takes it
	}{
		{"a clock ahead takes no live lease", false, 0, false},
		{"a clock ahead takes an expired lease", false, lease + 10*time.Second, true},
		{"a clock behind takes no live lease", true, 0, false},
		{"a clock behind takes an expired lease in time", true, lease + 10*time.Second, true},
	}
	for _, dialect := range storagetest.Dialects {
		for _, c := range cases {
			t.Run(dialect+"/"+c.name, func(t *testing.T) {
				ctx := context.Background()
				u := storagetest.URL(t, dialect)
				right, fast := storagetest.OpenURL(t, u, storage.Options{}), storagetest.OpenURL(t, u, storage.Options{Clock: ahead})
				replicas := map[bool]skewedReplica{
					false: {right, right.Clock(time.Now)},
					true:  {fast, fast.Clock(ahead)},
				}
				holder, other := replicas[c.aheadHolds], replicas[!c.aheadHolds]
				if err := holder.store.Enqueue(ctx, time.Now().Add(-time.Hour), handoff.OutboxMessage{Kind: "x", LeadID: 7}); err != nil {
					t.Fatal(err)
				}
				if taken, err := holder.store.TakeOutbox(ctx, holder.clock(), 10, lease, "holder"); err != nil || len(taken) != 1 {
					t.Fatalf("holder took %d messages (%v), want 1", len(taken), err)
				}
				if ok, err := holder.store.AcquireLease(ctx, "scheduler", "holder", holder.clock(), lease); err != nil || !ok {
					t.Fatalf("holder's lease: %v (%v)", ok, err)
				}
				at := other.clock().Add(c.after)
				taken, err := other.store.TakeOutbox(ctx, at, 10, lease, "other")
				if err != nil {
					t.Fatal(err)
				}
				if got := len(taken) == 1; got != c.want {
					t.Errorf("the other replica took the holder's message: %v, want %v", got, c.want)
				}
				ok, err := other.store.AcquireLease(ctx, "scheduler", "other", at, lease)
				if err != nil {
					t.Fatal(err)
				}
				if ok != c.want {
					t.Errorf("the other replica took the holder's scheduler lease: %v, want %v", ok, c.want)
				}
			})
		}
	}
}
