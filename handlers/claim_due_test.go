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

// TestGetLeadClaimDueAsTheClockHoldsIt: GET /api/leads/{id} answers the
// claim deadline the SLA clock holds the lead to at the request's time:
// with sla.excuse_system_delay, an SQL whose card has not reached chat,
// asked after its stored deadline and before the clock's tick moved it,
// answers the claim window from now (as /sla shows it), not the passed
// deadline; without the excuse, and before the deadline, the stored one.
func TestGetLeadClaimDueAsTheClockHoldsIt(t *testing.T) {
	stored := now.Add(2 * time.Hour).Format(time.RFC3339) // the default claim window
	for _, c := range []struct {
		name   string
		excuse bool
		after  time.Duration
		want   string
	}{
		{"excused, after the deadline", true, 3 * time.Hour, now.Add(5 * time.Hour).Format(time.RFC3339)},
		{"excused, before the deadline", true, time.Hour, stored},
		{"without the excuse, after the deadline", false, 3 * time.Hour, stored},
	} {
		t.Run(c.name, func(t *testing.T) {
			storagetest.Each(t, func(t *testing.T, s *storage.Store) {
				policy := handoff.DefaultPolicy()
				policy.ExcuseSystemDelay = c.excuse
				at := now
				mux := http.NewServeMux()
				(&handlers.API{Store: s, DB: s, Policy: policy, Token: token, Now: func() time.Time { return at }}).Register(mux)
				srv := httptest.NewServer(handlers.Middleware(discardLogger(), mux, mux))
				defer srv.Close()
				if got := post(t, srv, `{"external_id":"unshown-1","stage":"sql"}`); got.status != 201 || got.body["claim_due_at"] != stored {
					t.Fatalf("post = %d %v; want 201, claim_due_at %s", got.status, got.body, stored)
				}
				at = now.Add(c.after)
				got := do(t, srv, "GET", "/api/leads/unshown-1", "", "Bearer "+token, "")
				if got.status != 200 || got.body["claim_due_at"] != c.want {
					t.Errorf("GET = %d, claim_due_at %v; want 200, %s", got.status, got.body["claim_due_at"], c.want)
				}
			})
		})
	}
}
