package handlers_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestBadBodyAnswerIsBounded sends bodies within the 1 MiB limit that hold
// tens of thousands of bad fields, or one bad value of most of a megabyte:
// each is refused with a 400 of at most 4 KiB that names the first 10 bad
// fields by name and says how many there are, as a bad query's answer
// does, instead of echoing the body back (twice: in the message and the
// fields), and nothing is stored.
func TestBadBodyAnswerIsBounded(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		api, funnel := bodyServers(t, s)
		keys := make([]string, 40000)
		for i := range keys {
			keys[i] = fmt.Sprintf(`"k%05d":0`, i)
		}
		unknown := strings.Join(keys, ",")
		huge := strings.ReplaceAll(unknown, ":0", ":1e400")
		acts := make([]string, 1000)
		for i := range acts {
			acts[i] = fmt.Sprintf(`{"type":"page_view","colour%d":"red","size":1}`, i)
		}
		long := strings.Repeat("x", 900<<10)
		for _, tc := range []struct {
			name, url, body string
			fields          int // how many the body holds
		}{
			{"TrafficUnknownFields", funnel.URL + "/api/traffic", `{"date":"2026-11-19","visits":1,` + unknown + `}`, 40000},
			{"TrafficLongDate", funnel.URL + "/api/traffic", `{"date":"` + long + `","visits":1}`, 1},
			{"Activities", api.URL + "/api/leads/b-1/activities", "[" + strings.Join(acts, ",") + "]", 2000},
			{"ActivityLongType", api.URL + "/api/leads/b-1/activities", `{"type":"` + long + `"}`, 1},
			{"LeadLongStage", api.URL + "/api/leads", `{"external_id":"b-2","stage":"` + long + `"}`, 1},
			{"LeadNumbersOutOfRange", api.URL + "/api/leads", `{"external_id":"b-3",` + huge + `}`, 40000},
		} {
			t.Run(tc.name, func(t *testing.T) {
				bearer := token
				if strings.HasPrefix(tc.url, funnel.URL) {
					bearer = funnelToken
				}
				raw, ans := refusal(t, tc.url, bearer, tc.body)
				if len(raw) > 4<<10 {
					t.Errorf("the answer to a body of %d bytes is %d bytes, want at most 4 KiB: %.300s…", len(tc.body), len(raw), raw)
				}
				if want := min(tc.fields, 10); len(ans.Fields) != want {
					t.Errorf("fields name %d, want %d", len(ans.Fields), want)
				}
				if tc.fields > 10 && !strings.Contains(ans.Error, fmt.Sprintf("(%d fields, the first 10 by name named in fields)", tc.fields)) {
					t.Errorf("the message does not say how many fields: %.300s…", ans.Error)
				}
			})
		}
		noActivities(t, s)
	})
}

// bodyServers serves the API, with lead b-1 stored, and the funnel API
// on s.
func bodyServers(t *testing.T, s *storage.Store) (api, funnel *httptest.Server) {
	t.Helper()
	clock := now
	api, funnel = scoringServer(t, s, scoringPolicy(), &clock), newFunnelServer(t, s)
	if resp, raw := rawCall(t, "POST", api.URL+"/api/leads", token, `{"external_id":"b-1","title":"CTO"}`); resp.StatusCode != http.StatusCreated {
		t.Fatalf("lead: %d %s", resp.StatusCode, raw)
	}
	return api, funnel
}

// refusedAnswer is a 400's JSON.
type refusedAnswer struct {
	Error  string
	Fields map[string]string
}

// refusal posts body to u as bearer and returns its answer, failing t
// unless it is a 400 in JSON.
func refusal(t *testing.T, u, bearer, body string) ([]byte, refusedAnswer) {
	t.Helper()
	resp, raw := rawCall(t, "POST", u, bearer, body)
	var ans refusedAnswer
	if err := json.Unmarshal(raw, &ans); err != nil || resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("status %d, err %v: %.300s", resp.StatusCode, err, raw)
	}
	return raw, ans
}

// noActivities fails t when s holds an activity of lead b-1 (id 1).
func noActivities(t *testing.T, s *storage.Store) {
	t.Helper()
	acts, err := s.Activities(t.Context(), 1, nil, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(acts) != 0 {
		t.Errorf("refused requests stored %d activities", len(acts))
	}
}
