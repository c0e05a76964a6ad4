package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// A rep's reason to pass an offer is free text, which may name the person
// ("Annika wants Bo"): an erasure removes it from the lead's offer (the
// reps tried, which its card shows) as from its routed events, and keeps
// who passed.
func TestForgetScrubsPassReasons(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
		lead := saveSQL(t, s, "rr-erase", "Bergstrom", at)
		req := handoff.RouteRequest{Routing: roundRobin()}
		if _, _, _, err := s.RouteLead(ctx, lead.ID, req, at); err != nil {
			t.Fatal(err)
		}
		const reason = "Annika Bergström asked for Bo"
		req.Pass, req.Reason = repAnn, reason
		if got, _, stepped, err := s.RouteLead(ctx, lead.ID, req, at.Add(time.Minute)); err != nil || !stepped || len(got.Offer.Tried) != 1 {
			t.Fatalf("pass: stepped %v, %+v, %v", stepped, got.Offer, err)
		}
		if found, _ := s.FindText(ctx, reason); len(found) == 0 {
			t.Fatal("the reason is nowhere before the erase")
		}
		if err := s.ForgetLead(ctx, "rr-erase", handoff.DefaultPolicy(), at.Add(2*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if found, err := s.FindText(ctx, "Annika"); err != nil || len(found) > 0 {
			t.Errorf("after the erase the pass reason is in %v (%v)", found, err)
		}
		got, err := s.Lead(ctx, lead.ID)
		if err != nil {
			t.Fatal(err)
		}
		if tried := got.Offer.Tried; len(tried) != 1 || tried[0] != (handoff.TriedOffer{Rep: repAnn, Ending: handoff.SkipPassed}) {
			t.Errorf("reps tried after the erase = %+v, want Ann's pass without its reason", tried)
		}
	})
}
