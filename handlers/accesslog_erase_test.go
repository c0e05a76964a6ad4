package handlers_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/handlers"
	"github.com/handoff/handoff/internal/testkit"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestAccessLogKeepsNoLeadID: a lead's external id can be its email
// address; the access lines of its requests, its erasure's among them,
// name the route, not the id, so that the log keeps nothing an erasure
// removed, a method the route does not take (405) included. A path no
// route serves is logged as it came.
func TestAccessLogKeepsNoLeadID(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		buf := &testkit.LogBuffer{}
		logger := slog.New(slog.NewJSONHandler(buf, nil))
		mux := http.NewServeMux()
		api := &handlers.API{Store: s, DB: s, Policy: handoff.DefaultPolicy(), Token: token, Now: func() time.Time { return now }}
		api.Register(mux)
		srv := httptest.NewServer(handlers.Middleware(logger, mux, handlers.Router(mux)))
		defer srv.Close()

		const id = "ann.berg@example.com"
		bearer := "Bearer " + token
		for _, step := range []struct {
			method, path, body string
			want               int
		}{
			{"POST", "/api/leads", `{"external_id":"` + id + `","email":"` + id + `","stage":"lead"}`, http.StatusCreated},
			{"GET", "/api/leads/" + id, "", http.StatusOK},
			{"POST", "/api/leads/" + id + "/activities", `{"id":"a1","type":"page_view","url":"https://example.com/pricing"}`, http.StatusOK},
			{"GET", "/api/leads/" + id + "/activities", "", http.StatusMethodNotAllowed},
			{"PUT", "/api/leads/" + id, "", http.StatusMethodNotAllowed},
			{"DELETE", "/api/leads/" + id, "", http.StatusNoContent},
		} {
			if got := do(t, srv, step.method, step.path, "application/json", bearer, step.body); got.status != step.want {
				t.Fatalf("%s %s = %d %v, want %d", step.method, step.path, got.status, got.body, step.want)
			}
		}
		resp, err := http.Get(srv.URL + "/no/such/" + id)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
		var unmatched int
		for _, l := range lines {
			if strings.Contains(l, `"path":"/no/such/`) {
				unmatched++
				continue
			}
			if strings.Contains(l, "ann.berg") {
				t.Errorf("a log line holds the lead's id: %s", l)
			}
		}
		if !strings.Contains(buf.String(), `"path":"/api/leads/{external_id}/activities"`) || unmatched != 1 {
			t.Errorf("access lines name no route, or the unmatched path (%d lines):\n%s", unmatched, buf.String())
		}
	})
}
