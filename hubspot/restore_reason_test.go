package hubspot_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/handlers"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// A lead that HubSpot's contact.restore reopens is no longer "deleted in
// HubSpot": the API's view of it (GET /api/leads/{external_id}) has no
// reason, while its history keeps the loss with that reason, and the
// funnel of the deletion's month (GET /api/funnel) still counts it lost,
// under the reason's code.
func TestHubSpotRestoredLeadHasNoReason(t *testing.T) {
	sent, deleted, restored := now.Add(-5*time.Hour), now.Add(-3*time.Hour), now.Add(-time.Hour)
	const token = "read-token"
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		srv, post := clockedServer(t, s, sent)
		post(sqlContact(861, sent.Add(-time.Minute)))
		srv.clock.Store(now.UnixMilli())
		post("[" + contactEvent("contact.deletion", 861, deleted) + "]")
		if ans := post("[" + contactEvent("contact.restore", 861, restored) + "]"); ans["leads"].([]any)[0].(map[string]any)["reopened"] != true {
			t.Fatalf("restore answered %v, want the lead reopened", ans)
		}

		mux := http.NewServeMux()
		clock := func() time.Time { return now }
		logger := slog.New(slog.NewTextHandler(io.Discard, nil))
		(&handlers.API{Store: s, DB: s, Policy: handoff.DefaultPolicy(), Token: token, Now: clock, Logger: logger}).Register(mux)
		(&handlers.FunnelAPI{Store: s, Policy: handoff.DefaultPolicy(), Token: token, Now: clock, Logger: logger}).Register(mux)
		api := httptest.NewServer(handlers.Middleware(logger, mux, mux))
		t.Cleanup(api.Close)
		get := func(path string, v any) {
			t.Helper()
			req, _ := http.NewRequest("GET", api.URL+path, nil)
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("GET %s: %d", path, resp.StatusCode)
			}
			if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
				t.Fatalf("GET %s: %v", path, err)
			}
		}

		var lead map[string]any
		get("/api/leads/861", &lead)
		if lead["stage"] != string(handoff.StageSQL) || lead["reason"] != nil {
			t.Errorf("restored lead: stage %v, reason %v; want sql and no reason", lead["stage"], lead["reason"])
		}
		var lost []map[string]any
		for _, e := range lead["events"].([]any) {
			if e := e.(map[string]any); e["stage"] == string(handoff.StageLost) {
				lost = append(lost, e)
			}
		}
		if len(lost) != 1 || lost[0]["details"].(map[string]any)["reason"] != handoff.HubSpotDeletedReason {
			t.Errorf("history's losses %v, want the deletion, %q", lost, handoff.HubSpotDeletedReason)
		}

		var funnel struct {
			Lost       int64 `json:"lost"`
			ByCampaign []struct {
				TopReasons []handoff.ReasonCount `json:"top_reasons"`
			} `json:"by_campaign"`
		}
		get("/api/funnel?period=2026-11", &funnel)
		reasons := map[string]int64{}
		for _, c := range funnel.ByCampaign {
			for _, r := range c.TopReasons {
				reasons[r.Reason] += r.Count
			}
		}
		code := handoff.DefaultPolicy().ReasonCode(handoff.HubSpotDeletedReason)
		if funnel.Lost != 1 || len(reasons) != 1 || reasons[code] != 1 {
			t.Errorf("funnel of 2026-11: %d lost, reasons %v; want 1 lost for %q", funnel.Lost, reasons, code)
		}
	})
}
