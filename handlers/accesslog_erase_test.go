package handlers_test

import (
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
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
// route serves (a trailing slash, a path under a lead's, a lead's id
// where Handoff has no route) is logged as the route it came closest to,
// and "…" for the rest.
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
		unrouted := map[string]string{ // path: as logged
			"/api/leads/" + id + "/":            "/api/leads/{external_id}/",
			"/api/leads/" + id + "/nope":        "/api/leads/{external_id}/…",
			"/api/leads/" + id + "/activities/": "/api/leads/{external_id}/activities/",
			"/api/leads/" + id + "/a/b/":        "/api/leads/{external_id}/…",
			"/no/such/" + id:                    "/…",
		}
		for path := range unrouted {
			if got := do(t, srv, "GET", path, "", bearer, ""); got.status != http.StatusNotFound {
				t.Fatalf("GET %s = %d %v, want 404", path, got.status, got.body)
			}
		}
		for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
			if strings.Contains(l, "ann.berg") {
				t.Errorf("a log line holds the lead's id: %s", l)
			}
		}
		for _, want := range append(slices.Collect(maps.Values(unrouted)), "/api/leads/{external_id}/activities") {
			if !strings.Contains(buf.String(), `"path":"`+want+`"`) {
				t.Errorf("no access line names %s:\n%s", want, buf.String())
			}
		}
	})
}
