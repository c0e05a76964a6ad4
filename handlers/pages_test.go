package handlers_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff/handlers"
)

func TestPages(t *testing.T) {
	for _, tc := range []struct {
		name      string
		retention time.Duration
		path      string
		want      []string
	}{
		{"root is about", 0, "/", []string{"<title>Handoff · Handoff</title>", "Claim"}},
		{"about", 0, "/about", []string{"run by your organisation"}},
		{"privacy without retention", 0, "/privacy", []string{"What Handoff stores", "handoff forget --email", "DELETE /api/leads/{external_id}", "no automatic retention period",
			"the activities posted for the lead", "the web addresses your organisation gave it", "phone, company, title, reasons, extra fields and activities"}},
		{"privacy with retention", 730 * 24 * time.Hour, "/privacy", []string{"has not changed for 730 days"}},
		{"terms", 0, "/terms", []string{"Terms of use", `href="/privacy"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mux := http.NewServeMux()
			(&handlers.Pages{Retention: tc.retention, Logger: discardLogger()}).Register(mux)
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, httptest.NewRequest("GET", tc.path, nil))
			body, _ := io.ReadAll(rec.Body)
			if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
				t.Fatalf("GET %s = %d %s", tc.path, rec.Code, rec.Header().Get("Content-Type"))
			}
			for _, w := range tc.want {
				if !strings.Contains(string(body), w) {
					t.Errorf("GET %s lacks %q:\n%s", tc.path, w, body)
				}
			}
		})
	}
	mux := http.NewServeMux()
	(&handlers.Pages{}).Register(mux)
	for _, path := range []string{"/nope", "/privacy/x"} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != 404 {
			t.Errorf("GET %s = %d, want 404", path, rec.Code)
		}
	}
}
