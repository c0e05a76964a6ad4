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

// TestPostLeadAnswersStoredTimes checks that the 201 of a new lead shows
// its times as they are stored (milliseconds), as the repeat's 200 and GET
// do: a clock with nanoseconds must not make the same lead's sql_at differ
// between the first answer and every later one.
func TestPostLeadAnswersStoredTimes(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		clock := time.Date(2026, 11, 20, 9, 0, 0, 123456789, time.UTC)
		mux := http.NewServeMux()
		(&handlers.API{Store: s, DB: s, Policy: handoff.DefaultPolicy(), Token: token, Now: func() time.Time { return clock }}).Register(mux)
		srv := httptest.NewServer(handlers.Middleware(discardLogger(), mux, mux))
		t.Cleanup(srv.Close)

		body := `{"external_id":"ns-1","name":"Ann Berg","stage":"sql"}`
		created := post(t, srv, body)
		repeated := post(t, srv, body)
		got := do(t, srv, "GET", "/api/leads/ns-1", "", "Bearer "+token, "")
		if created.status != http.StatusCreated || repeated.status != http.StatusOK || got.status != http.StatusOK {
			t.Fatalf("statuses %d, %d, %d; want 201, 200, 200", created.status, repeated.status, got.status)
		}
		for _, field := range []string{"sql_at", "claim_due_at", "contact_due_at", "created_at", "updated_at"} {
			if created.body[field] != got.body[field] || repeated.body[field] != got.body[field] {
				t.Errorf("%s: 201 %v, repeat %v, GET %v; want one value", field, created.body[field], repeated.body[field], got.body[field])
			}
		}
		first := func(a answer) any { return a.body["events"].([]any)[0].(map[string]any)["at"] }
		if first(created) != first(got) {
			t.Errorf("events[0].at: 201 %v, GET %v; want one value", first(created), first(got))
		}
	})
}
