package main

import (
	"net/http"
	"testing"

	"github.com/handoff/handoff/storage/storagetest"
)

// TestParkedLeadsInMetrics: a parked lead (parked_ms and parked_error set,
// as FireSLA sets them) is counted in handoff_parked_leads, read from the
// database at each scrape, for as long as it stays parked: the alert
// HandoffRecordsParked watches this gauge, where it watched the increase
// of handoff_parked_total over an hour and cleared an hour after a
// parking with the lead still parked. A change to the lead unparks it; an
// erased lead's timers stopped, so it no longer counts.
func TestParkedLeadsInMetrics(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			dbURL := storagetest.URL(t, dialect)
			srv := startServer(t, map[string]string{"DATABASE_URL": dbURL, "HANDOFF_API_TOKEN": "tok"})
			db := rawDB(t, dialect, dbURL)
			defer db.Close()
			for _, id := range []string{"parked-1", "parked-2"} {
				srv.postLead(t, `{"external_id":"`+id+`","name":"Ann Berg","stage":"sql"}`)
			}
			park := func(id string) func(t *testing.T) {
				return func(t *testing.T) {
					if _, err := db.Exec(`UPDATE leads SET parked_ms = 1, parked_error = 'handoff: corrupt record' WHERE external_id = '` + id + `'`); err != nil {
						t.Fatal(err)
					}
				}
			}
			call := func(method, path, body string, want int) func(t *testing.T) {
				return func(t *testing.T) {
					if code, _ := srv.apiCall(t, method, path, body); code != want {
						t.Fatalf("%s %s = %d, want %d", method, path, code, want)
					}
				}
			}
			for _, step := range []struct {
				name string
				do   func(t *testing.T)
				want float64
			}{
				{"none parked", func(*testing.T) {}, 0},
				{"one parked", park("parked-1"), 1},
				{"two parked", park("parked-2"), 2},
				{"one changed", call("POST", "/api/leads", `{"external_id":"parked-1","name":"Ann Berg","title":"CTO","stage":"sql"}`, http.StatusOK), 1},
				{"the other erased", call("DELETE", "/api/leads/parked-2", "", http.StatusNoContent), 0},
			} {
				step.do(t)
				if got := sampleValue(srv.metricsContain(t), "handoff_parked_leads"); got != step.want {
					t.Fatalf("%s: handoff_parked_leads = %v (-1: absent), want %v", step.name, got, step.want)
				}
			}
		})
	}
}
