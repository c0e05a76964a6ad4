package storage_test

import (
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestErasureEndsTheOffer: erasing an unclaimed SQL under round-robin
// routing ends its routing in the erasure's transaction, whether it was
// offered to Ann (her offer refunded, as when the lead leaves the SQL
// stage to another), waited for a rep or was not yet routed: no routing
// step is due or taken afterwards, so no rep is offered a lead nobody can
// accept, the next lead goes to Ann as if she had never been offered the
// erased one, and the routing rollup still equals its rebuild.
func TestErasureEndsTheOffer(t *testing.T) {
	away := map[string]handoff.RepState{}
	for _, r := range []handoff.RepRef{repAnn, repBo} {
		away[r.Key()] = handoff.RepState{Away: &handoff.Away{Reason: "course", Source: handoff.AwayByCommand}}
	}
	tests := []struct {
		name   string
		states map[string]handoff.RepState // at the first routing step; nil: not routed
		want   handoff.OfferState          // before the erasure
	}{
		{"offered", map[string]handoff.RepState{}, handoff.OfferOffered},
		{"waiting", away, handoff.OfferWaiting},
		{"pending", nil, handoff.OfferPending},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			storagetest.Each(t, func(t *testing.T, s *storage.Store) {
				ctx := context.Background()
				at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
				before := balances(t, s)
				lead := saveSQL(t, s, "erase-offer", "Acme", at)
				if tc.states != nil {
					routed, _, stepped, err := s.RouteLead(ctx, lead.ID, handoff.RouteRequest{Routing: roundRobin(), States: tc.states}, at)
					if err != nil || !stepped {
						t.Fatalf("route: stepped %v, %v", stepped, err)
					}
					lead = routed
				}
				if lead.Offer == nil || lead.Offer.State != tc.want {
					t.Fatalf("offer before the erasure %+v, want %s", lead.Offer, tc.want)
				}
				if err := s.ForgetLead(ctx, "erase-offer", handoff.DefaultPolicy(), at.Add(time.Minute)); err != nil {
					t.Fatal(err)
				}
				erased, err := s.Lead(ctx, lead.ID)
				if err != nil {
					t.Fatal(err)
				}
				if erased.Offer == nil || erased.Offer.State != handoff.OfferErased || !erased.Offer.Until.IsZero() {
					t.Errorf("offer after the erasure %+v, want ended as erased", erased.Offer)
				}
				if got := balances(t, s); !maps.Equal(got, before) {
					t.Errorf("balances after the erasure %v, want %v as before the offer", got, before)
				}
				later := at.Add(time.Hour)
				if ids, err := s.DueRoutes(ctx, later, 10); err != nil || slices.Contains(ids, lead.ID) {
					t.Errorf("due routes at +1h: %v (%v), want none of lead %d", ids, err, lead.ID)
				}
				if next, ok, err := s.NextRouteDue(ctx); err != nil || ok {
					t.Errorf("next route due %s %v (%v), want none", next, ok, err)
				}
				queued, err := s.OutboxMessages(ctx, lead.ID)
				if err != nil {
					t.Fatal(err)
				}
				if _, _, stepped, err := s.RouteLead(ctx, lead.ID, handoff.RouteRequest{Routing: roundRobin()}, later); err != nil || stepped {
					t.Errorf("a routing step after the erasure: stepped %v, %v", stepped, err)
				}
				if after, err := s.OutboxMessages(ctx, lead.ID); err != nil || len(after) != len(queued) {
					t.Errorf("queued after the erasure %+v (%v), want nothing more", after[len(queued):], err)
				}
				next := saveSQL(t, s, "erase-offer-next", "Globex", later)
				routed, _, stepped, err := s.RouteLead(ctx, next.ID, handoff.RouteRequest{Routing: roundRobin()}, later)
				if err != nil || !stepped || !routed.Offer.OfferedTo(repAnn) {
					t.Errorf("next lead: stepped %v, offer %+v, %v; want offered to %v", stepped, routed.Offer, err, repAnn)
				}
				checkRebuild(t, s)
			})
		})
	}
}
