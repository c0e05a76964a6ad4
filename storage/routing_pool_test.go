package storage_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// manyReps is a rotation of n reps with long ids that do not compress (a
// pool of them is far over PostgreSQL's 2,704-byte limit on a btree entry).
func manyReps(n int) handoff.Routing {
	r := handoff.Routing{Mode: handoff.RouteRoundRobin, OfferFor: 15 * time.Minute, OfferRounds: 2}
	for i := range n {
		sum := sha256.Sum256(fmt.Appendf(nil, "rep %d", i))
		r.Reps = append(r.Reps, handoff.Rep{Ref: handoff.RepRef{Platform: "slack", ID: "U" + strings.ToUpper(hex.EncodeToString(sum[:])[:59])}, Weight: 1})
	}
	return r
}

// A lead offered from a pool of 300 reps with 60-character ids (a pool of
// 18 KB) is routed, rolled up, and read back whole by the routing measure
// and the funnel the digest reads (its fair shares), as the event log has
// it; the backfill writes the same rollup.
func TestRoutingLargePool(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		req := handoff.RouteRequest{Routing: manyReps(300)}
		at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
		var ids []int64
		for i, when := range []time.Time{at, at.Add(time.Hour), at.Add(25 * time.Hour)} {
			lead := saveSQL(t, s, fmt.Sprintf("big-%d", i), fmt.Sprintf("Big %d", i), when)
			if _, _, ok, err := s.RouteLead(ctx, lead.ID, req, when); err != nil || !ok {
				t.Fatalf("route lead %d: stepped %v, %v", i, ok, err)
			}
			ids = append(ids, lead.ID)
		}
		first, err := s.Lead(ctx, ids[0])
		if err != nil {
			t.Fatal(err)
		}
		taker := first.Offer.Rep
		if _, won, err := s.ClaimLead(ctx, ids[0], handoff.Owner{Platform: taker.Platform, UserID: taker.ID}, at.Add(2*time.Minute), handoff.Policy{}, taker.Key()); err != nil || !won {
			t.Fatalf("accept: won %v, %v", won, err)
		}

		want := make([]handoff.RepRef, len(req.Routing.Reps))
		for i, r := range req.Routing.Reps {
			want[i] = r.Ref
		}
		sortRefs := func(refs []handoff.RepRef) []handoff.RepRef {
			refs = slices.Clone(refs)
			slices.SortFunc(refs, func(a, b handoff.RepRef) int { return strings.Compare(a.Key(), b.Key()) })
			return refs
		}
		want = sortRefs(want)
		check := func(what string, got handoff.RoutingStats) {
			t.Helper()
			if len(got.Pools) != 3 {
				t.Fatalf("%s: %d pools, want 3", what, len(got.Pools))
			}
			for i, p := range got.Pools {
				if !reflect.DeepEqual(sortRefs(p), want) {
					t.Fatalf("%s: pool %d has %d reps, want the 300", what, i, len(p))
				}
			}
			var accepted int64
			for _, r := range got.PerRep {
				accepted += r.Accepted
				if r.Accepted > 0 && (r.Rep != taker || r.MedianOfferToAccept != 2*time.Minute) {
					t.Errorf("%s: %+v accepted, want %s after 2m", what, r, taker.Key())
				}
			}
			if accepted != 1 {
				t.Errorf("%s: %d accepts, want 1", what, accepted)
			}
			shares := req.Routing.FairShares(got.Pools)
			if share := shares[taker.Key()]; len(shares) != 300 || math.Abs(share-1.0/300) > 1e-12 {
				t.Errorf("%s: %d fair shares, %s's %v, want 300 of 1/300", what, len(shares), taker.Key(), share)
			}
		}
		// Whole days from routing_days, partial ones from routing_facts.
		from := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
		stats, err := s.RoutingStats(ctx, from, from.Add(72*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		check("routing stats", stats)
		events, err := s.RoutingStatsFromEvents(ctx, from, from.Add(72*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		check("event log", events)
		p, err := handoff.ParsePeriod("2026-11", at.Add(30*24*time.Hour), time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		counts, err := s.FunnelCounts(ctx, handoff.FunnelFilter{Period: p, Now: p.End})
		if err != nil {
			t.Fatal(err)
		}
		check("funnel", counts.Routing)

		rows, err := s.RollupRows(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.RebuildRollup(ctx); err != nil {
			t.Fatalf("backfill: %v", err)
		}
		again, err := s.RollupRows(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(rows, again) {
			t.Fatalf("the backfill wrote another rollup:\n%s\nwant\n%s", strings.Join(again, "\n"), strings.Join(rows, "\n"))
		}
	})
}
