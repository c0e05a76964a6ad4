package storage

import (
	"math/rand/v2"
	"testing"
)

// Every wait falls in the bucket whose bounds hold it, the buckets follow
// each other without gaps or overlaps, and each is at most an eighth of its
// waits wide.
func TestWaitBuckets(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	waits := []int64{1, 7, 8, 9, 15, 16, 17, 1000, 1 << 40, 1<<62 - 1}
	for range 10_000 {
		waits = append(waits, 1+rng.Int64N(1<<uint(1+rng.IntN(50))))
	}
	for _, w := range waits {
		b := waitBucket(w)
		lo, hi := waitBounds(b)
		if w < lo || w >= hi {
			t.Fatalf("wait %d in bucket %d of [%d, %d)", w, b, lo, hi)
		}
		if waitBucket(lo) != b || waitBucket(hi-1) != b || waitBucket(hi) <= b || (lo >= 8 && (hi-lo)*8 > lo) {
			t.Fatalf("bucket %d of wait %d: [%d, %d), next bucket %d", b, w, lo, hi, waitBucket(hi))
		}
		if _, prevHi := waitBounds(waitBucket(lo - 1)); lo > 1 && prevHi != lo {
			t.Fatalf("bucket %d [%d, %d) does not follow the one of %d", b, lo, hi, lo-1)
		}
	}
}
