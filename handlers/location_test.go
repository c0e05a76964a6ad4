package handlers_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestCreatedLeadLocation: a new lead's Location is the URL of that lead
// whatever its external id holds ('/', '?', '#', '%', a space, non-ASCII),
// so a client that follows it reads the lead it created.
func TestCreatedLeadLocation(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		srv := newServer(t, s)
		for _, ext := range []string{"hs-1001", "forms/ann berg", "q?x=1#top", "100%", "søren"} {
			t.Run(ext, func(t *testing.T) {
				resp := send(t, "POST", srv.URL+"/api/leads", "Bearer "+token, `{"external_id":`+jsonString(ext)+`,"stage":"mql"}`)
				loc := resp.Header.Get("Location")
				if resp.StatusCode != http.StatusCreated || loc == "" {
					t.Fatalf("POST = %d, Location %q", resp.StatusCode, loc)
				}
				got := do(t, srv, "GET", loc, "", "Bearer "+token, "")
				if got.status != http.StatusOK || got.body["external_id"] != ext {
					t.Fatalf("GET Location %q = %d %v, want the lead %q", loc, got.status, got.body["external_id"], ext)
				}
			})
		}
	})
}

// send sends a request to url with the bearer auth (and body as JSON, if
// any) and returns the answer with its headers, its body read.
func send(t *testing.T, method, url, auth, body string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Authorization", auth)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// jsonString is s as a JSON string.
func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
