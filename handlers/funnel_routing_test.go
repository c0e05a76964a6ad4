package handlers_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// The funnel shows routing only for a period in which leads were routed:
// per rep the offers and how they ended, and the median offer-to-accept.
func TestFunnelAPIRouting(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		srv := newFunnelServer(t, s)
		ann := handoff.RepRef{Platform: "slack", ID: "U0ANN0001"}
		policy := handoff.DefaultPolicy()
		policy.Routing = handoff.Routing{Mode: handoff.RouteRoundRobin, OfferFor: 15 * time.Minute, OfferRounds: 1,
			Reps: []handoff.Rep{{Ref: ann, Weight: 1}}}
		at := time.Date(2026, 11, 9, 9, 0, 0, 0, time.UTC)
		save := func(id string) int64 {
			res, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: id, Company: "Acme", Email: id + "@acme.example", Stage: handoff.StageSQL},
				policy, at, handoff.ActorAPI)
			if err != nil {
				t.Fatal(err)
			}
			return res.Lead.ID
		}
		route := func(id int64, when time.Time) {
			if _, _, ok, err := s.RouteLead(ctx, id, handoff.RouteRequest{Routing: policy.Routing}, when); err != nil || !ok {
				t.Fatalf("route %d: %v %v", id, ok, err)
			}
		}

		status, body := funnelCall(t, srv, "GET", "/api/funnel?period=2026-11", "", true)
		if _, ok := body["routing"]; status != http.StatusOK || ok {
			t.Fatalf("without routing: status %d, routing %v", status, body["routing"])
		}

		accepted := save("r-1")
		route(accepted, at)
		if _, won, err := s.ClaimLead(ctx, accepted, handoff.Owner{Platform: ann.Platform, UserID: ann.ID}, at.Add(90*time.Second), handoff.Policy{}, ann.Key()); err != nil || !won {
			t.Fatalf("accept: %v %v", won, err)
		}
		opened := save("r-2")
		route(opened, at)
		route(opened, at.Add(16*time.Minute)) // times out; one round: open to the channel

		status, body = funnelCall(t, srv, "GET", "/api/funnel?period=2026-11", "", true)
		routing, ok := body["routing"].(map[string]any)
		if status != http.StatusOK || !ok {
			t.Fatalf("status %d, routing %v", status, body["routing"])
		}
		reps, _ := routing["per_rep"].([]any)
		if routing["opened_to_channel"] != 1.0 || len(reps) != 1 {
			t.Fatalf("routing = %v", routing)
		}
		want := map[string]any{"rep": ann.Key(), "offered": 2.0, "accepted": 1.0, "passed": 0.0, "timed_out": 1.0, "median_offer_to_accept_seconds": 90.0}
		rep := reps[0].(map[string]any)
		for k, v := range want {
			if rep[k] != v {
				t.Errorf("%s = %v, want %v", k, rep[k], v)
			}
		}
	})
}
