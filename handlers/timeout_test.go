package handlers_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/handoff/handoff/handlers"
)

// TestTimeoutAnswersJSON: a request that its handler has not answered in
// time is answered 503 with the API's error, labelled JSON and not to be
// stored; an answer its handler gave in time, a 503 included, keeps its
// own headers.
func TestTimeoutAnswersJSON(t *testing.T) {
	// waits never answers before the request's context ends, which only
	// the timeout ends: the outcome does not depend on timing.
	waits := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	unavailable := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "busy", http.StatusServiceUnavailable)
	})
	for _, tc := range []struct {
		name         string
		h            http.Handler
		d            time.Duration
		contentType  string
		cacheControl string
		json         bool
	}{
		{"TimedOut", waits, time.Millisecond, "application/json; charset=utf-8", "no-store", true},
		{"HandlersOwn503", unavailable, time.Hour, "text/plain; charset=utf-8", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(handlers.Timeout(tc.h, tc.d))
			defer srv.Close()
			resp, err := http.Get(srv.URL + "/api/leads/ann")
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusServiceUnavailable {
				t.Fatalf("status %d, want 503: %q", resp.StatusCode, raw)
			}
			if got := resp.Header.Get("Content-Type"); got != tc.contentType {
				t.Errorf("Content-Type %q, want %q", got, tc.contentType)
			}
			if got := resp.Header.Get("Cache-Control"); got != tc.cacheControl {
				t.Errorf("Cache-Control %q, want %q", got, tc.cacheControl)
			}
			var body struct{ Error string }
			if err := json.Unmarshal(raw, &body); tc.json && (err != nil || body.Error == "") {
				t.Errorf("answer %q, want {\"error\": …}", raw)
			}
		})
	}
}
