package handlers_test

import (
	"testing"

	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestLeadPathWithControlCharacters asks for leads by external ids that
// no lead can have (a NUL, which PostgreSQL cannot even be asked for; not
// UTF-8; an escape sequence): each is a 4xx, never a 5xx, on both
// databases, and the first two a 400 naming external_id.
func TestLeadPathWithControlCharacters(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		srv := newServer(t, s)
		for _, ext := range []string{"a%00b", "a%FFb", "%1B%5B2J"} {
			for _, tc := range []struct{ method, path, body string }{
				{"GET", "/api/leads/" + ext, ""},
				{"DELETE", "/api/leads/" + ext, ""},
				{"POST", "/api/leads/" + ext + "/activities", `{"type":"page_view"}`},
			} {
				got := do(t, srv, tc.method, tc.path, "application/json", "Bearer "+token, tc.body)
				if got.status >= 500 || got.status < 400 {
					t.Errorf("%s %s: %d %v", tc.method, tc.path, got.status, got.body)
				}
				fields, _ := got.body["fields"].(map[string]any)
				if ext != "%1B%5B2J" && (got.status != 400 || fields["external_id"] == nil) {
					t.Errorf("%s %s: %d %v, want 400 naming external_id", tc.method, tc.path, got.status, got.body)
				}
			}
		}
	})
}
