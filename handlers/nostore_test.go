package handlers_test

import (
	"strings"
	"testing"

	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestAPIAnswersAreNotStored: every answer of the API that can carry a
// lead's personal data (the lead created, read, its activities, the
// funnel's CSV filtered by owner) tells browsers and proxies not to keep
// it (Cache-Control: no-store), so that an erased lead does not live on
// in a cache.
func TestAPIAnswersAreNotStored(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		srv := newServer(t, s)
		funnel := newFunnelServer(t, s)
		for _, tc := range []struct {
			name                           string
			base, method, path, auth, body string
			status                         int
		}{
			{"Created", srv.URL, "POST", "/api/leads", "Bearer " + token, `{"external_id":"ns-1","name":"Ann Berg","email":"ann@berg.dk"}`, 201},
			{"Read", srv.URL, "GET", "/api/leads/ns-1", "Bearer " + token, "", 200},
			{"Activities", srv.URL, "POST", "/api/leads/ns-1/activities", "Bearer " + token, `{"type":"page_view"}`, 200},
			{"Refused", srv.URL, "POST", "/api/leads", "Bearer " + token, `{"external_id":"ns-2","email":"ann@"}`, 400},
			{"FunnelJSON", funnel.URL, "GET", "/api/funnel?owner=ann%40berg.dk", "Bearer " + funnelToken, "", 200},
			{"FunnelCSV", funnel.URL, "GET", "/api/funnel?owner=ann%40berg.dk&format=csv", "Bearer " + funnelToken, "", 200},
		} {
			t.Run(tc.name, func(t *testing.T) {
				resp := send(t, tc.method, tc.base+tc.path, tc.auth, tc.body)
				if resp.StatusCode != tc.status {
					t.Fatalf("%s %s = %d, want %d", tc.method, tc.path, resp.StatusCode, tc.status)
				}
				if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
					t.Errorf("%s %s: Cache-Control %q, want no-store", tc.method, tc.path, cc)
				}
			})
		}
	})
}
