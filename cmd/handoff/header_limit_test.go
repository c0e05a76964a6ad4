package main

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestOversizedHeadersAreRefused: a request whose headers are over the
// limit is answered 431 before any handler runs, on the public port and
// on the metrics port, and nothing of it is stored; headers as large as a
// real client's (a Teams bearer token, a proxy's forwarding headers, and
// more) still pass.
func TestOversizedHeadersAreRefused(t *testing.T) {
	srv := startServer(t, map[string]string{"DATABASE_URL": storagetest.URL(t, storage.DialectSQLite), "HANDOFF_API_TOKEN": "tok"})
	for _, tc := range []struct {
		name, url, body string
		pad, want       int
	}{
		{"LeadWithLargeHeaders", srv.base + "/api/leads", `{"external_id":"hl-ok"}`, 16 << 10, http.StatusCreated},
		{"LeadOverTheLimit", srv.base + "/api/leads", `{"external_id":"hl-big"}`, 64 << 10, http.StatusRequestHeaderFieldsTooLarge},
		{"MetricsOverTheLimit", srv.metrics + "/metrics", "", 64 << 10, http.StatusRequestHeaderFieldsTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			method := "GET"
			if tc.body != "" {
				method = "POST"
			}
			req, _ := http.NewRequest(method, tc.url, strings.NewReader(tc.body))
			req.Header.Set("Authorization", "Bearer tok")
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Pad", strings.Repeat("p", tc.pad))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("%s %s with %d bytes of header = %d, want %d: %.200s", method, tc.url, tc.pad, resp.StatusCode, tc.want, raw)
			}
		})
	}
	for id, want := range map[string]int{"hl-ok": http.StatusOK, "hl-big": http.StatusNotFound} {
		req, _ := http.NewRequest("GET", srv.base+"/api/leads/"+id, nil)
		req.Header.Set("Authorization", "Bearer tok")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET /api/leads/%s = %d, want %d", id, resp.StatusCode, want)
		}
	}
}
