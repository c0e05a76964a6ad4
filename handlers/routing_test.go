package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/handlers"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestRoutingAPI: GET /api/routing answers each rep's weight, availability
// now and this week's leads against the fair share, from the real store.
func TestRoutingAPI(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		policy := handoff.DefaultPolicy()
		policy.Routing = handoff.Routing{Mode: handoff.RouteRoundRobin, MaxOpenPerRep: 2, Reps: []handoff.Rep{
			{Ref: handoff.RepRef{Platform: "slack", ID: "UANN"}, Weight: 3},
			{Ref: handoff.RepRef{Platform: "slack", ID: "UBO"}, Weight: 1},
		}}
		// Three leads this week: Ann claims two, Bo one; Bo is away.
		for i, user := range []string{"UANN", "UANN", "UBO"} {
			res, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: "ra-" + string(rune('a'+i))}, policy, funnelClock.Add(-time.Hour), handoff.ActorAPI)
			if err != nil {
				t.Fatal(err)
			}
			if _, won, err := s.ClaimLead(ctx, res.Lead.ID, handoff.Owner{Platform: "slack", UserID: user}, funnelClock.Add(-time.Minute), handoff.Policy{}, "slack:"+user); err != nil || !won {
				t.Fatalf("claim: %v %v", won, err)
			}
		}
		back := funnelClock.Add(48 * time.Hour)
		if err := s.SetAway(ctx, "slack:UBO", handoff.Away{Until: back, Reason: "course", Source: handoff.AwayByCommand}, funnelClock); err != nil {
			t.Fatal(err)
		}
		api := &handlers.RoutingAPI{Store: s, Policy: policy, Guard: &handlers.Guard{Tokens: handlers.Tokens(funnelToken, nil)},
			Now: func() time.Time { return funnelClock }, Logger: discardLogger()}
		mux := http.NewServeMux()
		api.Register(mux)
		srv := httptest.NewServer(mux)
		defer srv.Close()

		req, _ := http.NewRequest("GET", srv.URL+"/api/routing", nil)
		req.Header.Set("Authorization", "Bearer "+funnelToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var got struct {
			Mode     string `json:"mode"`
			Received int    `json:"received"`
			Reps     []struct {
				Rep         string  `json:"rep"`
				Weight      int     `json:"weight"`
				Available   bool    `json:"available"`
				Skip        string  `json:"skip"`
				Until       string  `json:"until"`
				Detail      string  `json:"detail"`
				OpenLeads   int     `json:"open_leads"`
				Received    int     `json:"received"`
				Share       float64 `json:"share"`
				WeightShare float64 `json:"weight_share"`
			} `json:"reps"`
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("HTTP %d", resp.StatusCode)
		}
		if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
			t.Fatal(err)
		}
		if got.Mode != "round_robin" || got.Received != 3 || len(got.Reps) != 2 {
			t.Fatalf("routing = %+v", got)
		}
		ann, bo := got.Reps[0], got.Reps[1]
		// Ann holds two open leads: at capacity.
		if ann.Rep != "slack:UANN" || ann.Weight != 3 || ann.Available || ann.Skip != "at_capacity" || ann.OpenLeads != 2 ||
			ann.Received != 2 || ann.WeightShare != 0.75 || ann.Share < 0.66 || ann.Share > 0.67 {
			t.Errorf("ann = %+v", ann)
		}
		wantBo := []any{"slack:UBO", false, "away", back.Format(time.RFC3339), "course", 1, 1, 0.25}
		gotBo := []any{bo.Rep, bo.Available, bo.Skip, bo.Until, bo.Detail, bo.OpenLeads, bo.Received, bo.WeightShare}
		if !reflect.DeepEqual(gotBo, wantBo) {
			t.Errorf("bo = %v, want %v", gotBo, wantBo)
		}
	})
}

// TestRoutingAPIRefusesAnyQuery: GET /api/routing takes no parameter, and
// a query that does not parse is refused as one that does, naming it.
func TestRoutingAPIRefusesAnyQuery(t *testing.T) {
	mux := http.NewServeMux()
	(&handlers.RoutingAPI{Guard: &handlers.Guard{Tokens: handlers.Tokens(funnelToken, nil)}, Logger: discardLogger()}).Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for query, field := range map[string]string{"week=last": "week", "week=%zz": "query", "a;b": "query"} {
		status, body := funnelCall(t, srv, "GET", "/api/routing?"+query, "", true)
		fields, _ := body["fields"].(map[string]any)
		if status != http.StatusBadRequest || fields[field] == nil {
			t.Errorf("?%s: %d %v, want 400 naming %s", query, status, body, field)
		}
	}
}
