package storage_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// Routing measured over a period: one lead passed by Ann, timed out by Bo
// and opened to the channel, then claimed by a third rep (no accept); one
// lead offered to Bo, who accepts after 3 minutes; a lead that waits twice
// while everyone is away counts once as waited; a lead routed outside the
// period does not count.
func TestRoutingStats(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
		req := handoff.RouteRequest{Routing: roundRobin()}
		route := func(id int64, r handoff.RouteRequest, when time.Time) {
			t.Helper()
			if _, _, ok, err := s.RouteLead(ctx, id, r, when); err != nil || !ok {
				t.Fatalf("route lead %d at %s: stepped %v, err %v", id, when, ok, err)
			}
		}
		claim := func(id int64, rep handoff.RepRef, when time.Time) {
			t.Helper()
			if _, won, err := s.ClaimLead(ctx, id, handoff.Owner{Platform: rep.Platform, UserID: rep.ID}, when, handoff.Policy{}, rep.Key()); err != nil || !won {
				t.Fatalf("claim lead %d: won %v, err %v", id, won, err)
			}
		}
		empty, err := s.RoutingStats(ctx, at, at.Add(time.Hour))
		if err != nil || !empty.Empty() {
			t.Fatalf("before routing: %+v, %v", empty, err)
		}

		opened := saveSQL(t, s, "m-1", "Acme", at)
		route(opened.ID, req, at) // to Ann
		pass := req
		pass.Pass, pass.Reason = repAnn, "on a call"
		route(opened.ID, pass, at.Add(time.Minute))   // Ann passes, to Bo
		route(opened.ID, req, at.Add(17*time.Minute)) // Bo times out, open
		claim(opened.ID, handoff.RepRef{Platform: "slack", ID: "U0CY00003"}, at.Add(18*time.Minute))

		accepted := saveSQL(t, s, "m-2", "Beta", at.Add(20*time.Minute))
		route(accepted.ID, req, at.Add(20*time.Minute))
		lead, err := s.Lead(ctx, accepted.ID)
		if err != nil {
			t.Fatal(err)
		}
		taker := lead.Offer.Rep
		claim(accepted.ID, taker, at.Add(23*time.Minute))

		away := req
		away.States = map[string]handoff.RepState{repAnn.Key(): {Away: &handoff.Away{}}, repBo.Key(): {Away: &handoff.Away{}}}
		waiting := saveSQL(t, s, "m-4", "Delta", at.Add(30*time.Minute))
		route(waiting.ID, away, at.Add(30*time.Minute))
		route(waiting.ID, away, at.Add(40*time.Minute))

		late := saveSQL(t, s, "m-3", "Gamma", at.Add(2*time.Hour))
		route(late.ID, req, at.Add(2*time.Hour))

		got, err := s.RoutingStats(ctx, at, at.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]handoff.RoutingRepStats{
			repAnn.Key(): {Rep: repAnn, Offered: 1, Passed: 1},
			repBo.Key():  {Rep: repBo, Offered: 1, TimedOut: 1},
		}
		w := want[taker.Key()]
		w.Offered++
		w.Accepted++
		w.MedianOfferToAccept = 3 * time.Minute
		want[taker.Key()] = w
		if got.OpenedToChannel != 1 || got.Waited != 1 || len(got.PerRep) != 2 {
			t.Fatalf("stats = %+v, want 1 opened, 1 waited and 2 reps", got)
		}
		for _, r := range got.PerRep {
			if r != want[r.Rep.Key()] {
				t.Errorf("rep %s = %+v, want %+v", r.Rep.Key(), r, want[r.Rep.Key()])
			}
		}
	})
}

// The routing measure reads every rep's median offer-to-accept in one
// statement, not one or two a rep: it runs as many statements for twelve
// reps as for two, and their medians (one or two middle values, in one
// bucket or two) are the event log's.
func TestRoutingMediansReadAtOnce(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
		team := manyReps(12)
		n := 0
		accept := func(reps int, leads int) {
			t.Helper()
			req := handoff.RouteRequest{Routing: team}
			req.Routing.Reps = team.Reps[:reps]
			for range leads {
				n++
				when := at.Add(time.Duration(n) * 7 * time.Minute)
				lead := saveSQL(t, s, fmt.Sprintf("med-%d", n), fmt.Sprintf("Med %d", n), when)
				if _, _, ok, err := s.RouteLead(ctx, lead.ID, req, when); err != nil || !ok {
					t.Fatalf("route %d: stepped %v, %v", n, ok, err)
				}
				l, err := s.Lead(ctx, lead.ID)
				if err != nil {
					t.Fatal(err)
				}
				rep := l.Offer.Rep
				after := time.Duration(n*n%97+1) * 13 * time.Second // 13 s to 21 min, several buckets
				if _, won, err := s.ClaimLead(ctx, lead.ID, handoff.Owner{Platform: rep.Platform, UserID: rep.ID}, when.Add(after), handoff.Policy{}, rep.Key()); err != nil || !won {
					t.Fatalf("accept %d: won %v, %v", n, won, err)
				}
			}
		}
		from := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) // a whole day and two partial ones
		measure := func(reps int) int {
			t.Helper()
			count, stop := s.CountStatements()
			got, err := s.RoutingStats(ctx, from, from.Add(48*time.Hour))
			stop()
			if err != nil {
				t.Fatal(err)
			}
			want, err := s.RoutingStatsFromEvents(ctx, from, from.Add(48*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			got.Pools, want.Pools = sortedPools(got.Pools), sortedPools(want.Pools)
			if len(got.PerRep) != reps || !reflect.DeepEqual(got, want) {
				t.Fatalf("%d reps: rollup %+v\nevents %+v", reps, got, want)
			}
			return count()
		}
		accept(2, 5)
		two := measure(2)
		accept(12, 41)
		if twelve := measure(12); twelve != two {
			t.Fatalf("the routing measure ran %d statements for 12 reps' medians and %d for 2", twelve, two)
		}
	})
}
