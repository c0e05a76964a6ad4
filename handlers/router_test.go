package handlers_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/handoff/handoff/handlers"
)

// TestUnroutedRequestsAnswerJSON: a request that no route serves is
// answered as the API answers its errors (JSON {"error": …}, not stored):
// 404 for a path no route has, 405 with Allow naming the methods the
// path's routes take; the routes' own answers and the mux's redirects to
// a clean path are left as they were.
func TestUnroutedRequestsAnswerJSON(t *testing.T) {
	mux := http.NewServeMux()
	(&handlers.API{Token: token, Logger: discardLogger()}).Register(mux)
	srv := httptest.NewServer(handlers.Router(mux))
	t.Cleanup(srv.Close)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tc := range []struct {
		name, method, path string
		status             int
		allow              []string // for a 405
		location           string   // for a redirect
	}{
		{"NoSuchPath", "GET", "/api/nope", 404, nil, ""},
		{"NoSuchPage", "GET", "/favicon.ico", 404, nil, ""},
		{"BelowALead", "GET", "/api/leads/ann/nope", 404, nil, ""},
		{"TrailingSlash", "POST", "/api/leads/", 404, nil, ""},
		{"EmptyExternalID", "GET", "/api/leads/", 404, nil, ""},
		{"PutLeads", "PUT", "/api/leads", 405, []string{"POST"}, ""},
		{"GetActivities", "GET", "/api/leads/ann/activities", 405, []string{"POST"}, ""},
		{"OptionsLead", "OPTIONS", "/api/leads/ann", 405, []string{"DELETE", "GET", "HEAD"}, ""},
		{"PostHealth", "POST", "/healthz", 405, []string{"GET", "HEAD"}, ""},
		{"HeadOfAnUnknownPath", "HEAD", "/api/nope", 404, nil, ""},
		{"RouteAnswersItself", "GET", "/api/leads/ann", 401, nil, ""},
		{"EscapedSlashIsOneSegment", "GET", "/api/leads/crm%2F42", 401, nil, ""},
		{"HeadOfARoute", "HEAD", "/api/leads/ann", 401, nil, ""},
		{"CleanedPathRedirects", "GET", "/api//leads/ann", 307, nil, "/api/leads/ann"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
			resp, err := noRedirect.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("%s %s = %d %q, want %d", tc.method, tc.path, resp.StatusCode, raw, tc.status)
			}
			if got := resp.Header.Get("Location"); got != tc.location {
				t.Errorf("Location %q, want %q", got, tc.location)
			}
			if tc.status == 307 {
				return
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Errorf("Content-Type %q, want JSON", ct)
			}
			if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control %q, want no-store", cc)
			}
			allow := strings.Split(resp.Header.Get("Allow"), ", ")
			slices.Sort(allow)
			if tc.status == 405 && !slices.Equal(allow, tc.allow) {
				t.Errorf("Allow %q, want %q", resp.Header.Get("Allow"), tc.allow)
			}
			if tc.method == "HEAD" {
				return
			}
			var body map[string]any
			if err := json.Unmarshal(raw, &body); err != nil {
				t.Fatalf("answer is not JSON: %q", raw)
			}
			if msg, _ := body["error"].(string); msg == "" || len(body) != 1 {
				t.Errorf("answer %q, want {\"error\": …} alone", raw)
			}
		})
	}
}
