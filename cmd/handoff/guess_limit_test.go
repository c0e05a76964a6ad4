package main

import (
	"net/http"
	"testing"

	"github.com/handoff/handoff/handlers"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestTokenGuessesLimitedWithoutARateLimit: HANDOFF_API_RATE_LIMIT=0 turns
// off the tokens' limit only; wrong tokens from one address are still
// refused with 429 past the failed attempts' burst, while the real token
// goes on unlimited.
func TestTokenGuessesLimitedWithoutARateLimit(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			srv := startServer(t, map[string]string{"DATABASE_URL": storagetest.URL(t, dialect),
				"HANDOFF_API_TOKEN": "tok", "HANDOFF_API_RATE_LIMIT": "0"})
			guess := func(i int) *http.Response {
				req, _ := http.NewRequest("GET", srv.base+"/api/leads/nobody", nil)
				req.Header.Set("Authorization", "Bearer guess-"+string(rune('a'+i)))
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				return resp
			}
			for i := range handlers.FailBurst {
				if resp := guess(i); resp.StatusCode != http.StatusUnauthorized {
					t.Fatalf("guess %d = %d, want 401", i, resp.StatusCode)
				}
			}
			resp := guess(handlers.FailBurst)
			if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
				t.Fatalf("guess over the burst = %d (Retry-After %q), want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
			}
			for i := range 3 * handlers.FailBurst {
				if status, _ := srv.apiCall(t, "GET", "/api/leads/nobody", ""); status != http.StatusNotFound {
					t.Fatalf("request %d with the token = %d, want 404 (no limit)", i, status)
				}
			}
		})
	}
}
