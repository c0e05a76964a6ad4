package handlers_test

import (
	"net/http"
	"testing"

	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestNumbersOutOfRangeNamed: a number no float64 holds (1e400) is a 400
// naming its field, as any other bad field is, and nothing is stored.
func TestNumbersOutOfRangeNamed(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		srv := newServer(t, s)
		if got := post(t, srv, `{"external_id":"nr-known"}`); got.status != http.StatusCreated {
			t.Fatalf("seed = %d %v", got.status, got.body)
		}
		for _, tc := range []struct {
			name, path, body, field string
		}{
			{"Score", "/api/leads", `{"external_id":"nr-1","score":1e400}`, "score"},
			{"Amount", "/api/leads", `{"external_id":"nr-1","stage":"won","amount":-1e999}`, "amount"},
			{"Attribute", "/api/leads", `{"external_id":"nr-1","weight":1e309}`, "weight"},
			{"NestedAttribute", "/api/leads", `{"external_id":"nr-1","meta":{"n":[1,2e308]}}`, "meta"},
			{"Activity", "/api/leads/nr-known/activities", `[{"type":"a"},{"type":"b","x":1e400}]`, "[1].x"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got := do(t, srv, "POST", tc.path, "application/json", "Bearer "+token, tc.body)
				if got.status != http.StatusBadRequest {
					t.Fatalf("status %d, want 400: %v", got.status, got.body)
				}
				fields, _ := got.body["fields"].(map[string]any)
				if tc.field != "" && fields[tc.field] == nil {
					t.Errorf("answer %v does not name %s", got.body, tc.field)
				}
			})
		}
		if got := do(t, srv, "GET", "/api/leads/nr-1", "", "Bearer "+token, ""); got.status != http.StatusNotFound {
			t.Errorf("GET nr-1 = %d, want 404: nothing stored", got.status)
		}
	})
}
