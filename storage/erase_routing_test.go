package storage_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// An erasure keeps the routing of the lead (who was offered it, who passed,
// who accepted, the pool), which is about the reps and not the person, so
// /funnel, the digest and the fair shares do not change; the pass reason,
// free text, still goes.
func TestErasureKeepsRoutingFigures(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
		req := handoff.RouteRequest{Routing: roundRobin()}
		lead := saveSQL(t, s, "rr-erase-stats", "Acme", at)
		first, _, ok, err := s.RouteLead(ctx, lead.ID, req, at)
		if err != nil || !ok {
			t.Fatalf("route: %v %v", ok, err)
		}
		passer := first.Offer.Rep
		pass := req
		pass.Pass, pass.Reason = passer, "on a call"
		second, _, ok, err := s.RouteLead(ctx, lead.ID, pass, at.Add(time.Minute))
		if err != nil || !ok {
			t.Fatalf("pass: %v %v", ok, err)
		}
		taker := second.Offer.Rep
		if _, won, err := s.ClaimLead(ctx, lead.ID, handoff.Owner{Platform: taker.Platform, UserID: taker.ID}, at.Add(3*time.Minute), handoff.Policy{}, taker.Key()); err != nil || !won {
			t.Fatalf("accept: %v %v", won, err)
		}
		before, err := s.RoutingStats(ctx, at.Add(-time.Hour), at.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if before.Empty() {
			t.Fatal("no routing before the erase")
		}
		if found, _ := s.FindText(ctx, "on a call"); len(found) == 0 {
			t.Fatal("the pass reason is nowhere before the erase")
		}
		if err := s.ForgetLead(ctx, "rr-erase-stats", handoff.DefaultPolicy(), at.Add(10*time.Minute)); err != nil {
			t.Fatal(err)
		}
		after, err := s.RoutingStats(ctx, at.Add(-time.Hour), at.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(sortedPools(before.Pools), sortedPools(after.Pools)) || !reflect.DeepEqual(before.PerRep, after.PerRep) ||
			before.OpenedToChannel != after.OpenedToChannel || before.Waited != after.Waited {
			t.Errorf("routing figures changed by the erase:\nbefore %+v\nafter  %+v", before, after)
		}
		if found, err := s.FindText(ctx, "on a call"); err != nil || len(found) > 0 {
			t.Errorf("after the erase the pass reason is in %v (%v)", found, err)
		}
		events, err := s.Events(ctx, lead.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range events {
			if e.Kind == handoff.EventRouted && e.Details["reason"] != "" {
				t.Errorf("routed event keeps the reason %q after the erase", e.Details["reason"])
			}
		}
	})
}
