package storage_test

import (
	"context"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// A routing step writes the reps' balances it changes in one statement
// (up to 200 of them), adding each change to the stored balance, and
// writes none that it leaves as they were.
func TestRepCreditsWrittenAtOnce(t *testing.T) {
	team := manyReps(150)
	key := func(i int) string { return team.Reps[i].Ref.Key() }
	firstOffer := map[string]int64{"slack:UNCHANGED": 0}
	for i := range team.Reps {
		firstOffer[key(i)] = 1
	}
	firstOffer[key(0)] = -149
	steps := []struct {
		name       string
		delta      map[string]int64
		statements int
	}{
		{"a first offer among 150 reps", firstOffer, 1},
		{"a timeout: the ended offer refunded, the next rep offered", map[string]int64{key(0): 149, key(1): -149, key(2): 0, key(3): 0}, 1},
		{"nothing changes", map[string]int64{key(4): 0}, 0},
	}
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
		want := map[string]int64{}
		for i, st := range steps {
			n, err := s.SaveCredits(ctx, st.delta, at.Add(time.Duration(i)*time.Minute))
			if err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			if n != st.statements {
				t.Errorf("%s: %d statements, want %d", st.name, n, st.statements)
			}
			for k, v := range st.delta {
				if v != 0 {
					want[k] += v
				}
			}
			got, err := s.RepCredits(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(got, want) {
				t.Errorf("%s: balances %v\nwant %v", st.name, got, want)
			}
		}
	})
}

// With a pool of 250 reps (more than one statement's 200 rows) a first
// offer writes every balance, and the timeout after it only the two that
// change: the refunded rep's and the next one offered.
func TestRouteLeadLargePoolBalances(t *testing.T) {
	for _, d := range storagetest.Dialects {
		t.Run(d, func(t *testing.T) {
			s, raw := storagetest.OpenRaw(t, d)
			ctx := context.Background()
			req := handoff.RouteRequest{Routing: manyReps(250)}
			reps := req.Routing.Reps
			at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
			lead := saveSQL(t, s, "pool-1", "Pool", at)
			steps := []struct {
				name    string
				at      time.Time
				offered handoff.RepRef
				written int
				credit  func(i int) int64
			}{
				{"first offer", at, reps[0].Ref, 250, func(i int) int64 {
					if i == 0 {
						return -249 // offered: less the 250 shares
					}
					return 1
				}},
				{"timeout", at.Add(16 * time.Minute), reps[1].Ref, 2, func(i int) int64 {
					switch i {
					case 0:
						return 0 // refunded, not available again
					case 1:
						return 1 - 1 + 1 - 249 // refunded, then offered among the 249 left
					}
					return 1 // refunded and shared again: unchanged
				}},
			}
			for _, st := range steps {
				got, _, ok, err := s.RouteLead(ctx, lead.ID, req, st.at)
				if err != nil || !ok || got.Offer.Rep != st.offered {
					t.Fatalf("%s: stepped %v, %v, offer %+v; want to %v", st.name, ok, err, got.Offer, st.offered)
				}
				credits, err := s.RepCredits(ctx)
				if err != nil {
					t.Fatal(err)
				}
				want := map[string]int64{}
				for i, r := range reps {
					want[r.Ref.Key()] = st.credit(i)
				}
				for k, v := range want {
					if credits[k] != v {
						t.Errorf("%s: balance of %s = %d, want %d", st.name, k, credits[k], v)
					}
				}
				if len(credits) != len(want) {
					t.Errorf("%s: %d balances, want %d", st.name, len(credits), len(want))
				}
				var written int
				q := fmt.Sprintf("SELECT COUNT(*) FROM rep_credits WHERE updated_ms = %d", st.at.UnixMilli())
				if err := raw.QueryRowContext(ctx, q).Scan(&written); err != nil {
					t.Fatal(err)
				}
				if written != st.written {
					t.Errorf("%s: %d balances written, want %d", st.name, written, st.written)
				}
			}
		})
	}
}
