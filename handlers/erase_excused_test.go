package handlers_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/handlers"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestDeleteLeadExcusesAnUnshownCard: DELETE /api/leads/{id} erases under
// the API's agreement: with sla.excuse_system_delay, an SQL whose card never
// reached chat, erased after its claim deadline, answers sla_breached
// false; without it, true.
func TestDeleteLeadExcusesAnUnshownCard(t *testing.T) {
	for _, excuse := range []bool{false, true} {
		t.Run(map[bool]string{false: "not excused", true: "excused"}[excuse], func(t *testing.T) {
			storagetest.Each(t, func(t *testing.T, s *storage.Store) {
				policy := handoff.DefaultPolicy()
				policy.ExcuseSystemDelay = excuse
				at := now
				mux := http.NewServeMux()
				(&handlers.API{Store: s, DB: s, Policy: policy, Token: token, Now: func() time.Time { return at }}).Register(mux)
				srv := httptest.NewServer(handlers.Middleware(discardLogger(), mux, mux))
				defer srv.Close()
				if got := post(t, srv, `{"external_id":"unshown-1","stage":"sql"}`); got.status != 201 {
					t.Fatalf("post = %d %v", got.status, got.body)
				}
				at = now.Add(3 * time.Hour) // after the claim deadline at +2h
				if got := do(t, srv, "DELETE", "/api/leads/unshown-1", "", "Bearer "+token, ""); got.status != 204 {
					t.Fatalf("DELETE = %d %v", got.status, got.body)
				}
				got := do(t, srv, "GET", "/api/leads/unshown-1", "", "Bearer "+token, "")
				if got.status != 200 || got.body["sla_breached"] != !excuse {
					t.Errorf("GET = %d, sla_breached %v; want 200, %v", got.status, got.body["sla_breached"], !excuse)
				}
			})
		})
	}
}
