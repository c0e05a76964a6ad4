package hubspot_test

import (
	"strings"
	"testing"

	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// A contact whose write the database refuses does not keep the others of
// its body out: every other contact is stored, and the answer is a 500
// naming the one not stored (HubSpot sends the body again; the stored
// ones change nothing then) and the bad properties of any refused one.
func TestWebhookOneFailingContactDoesNotStopTheOthers(t *testing.T) {
	storagetest.EachFailingInsertsOf(t, "666", func(t *testing.T, s *storage.Store) {
		srv := newServer(t, s, "")
		tests := []struct {
			name       string
			body       string
			wantStatus int
			wantStored []string
			wantField  string
		}{
			{"failing first", `[{"hs_object_id":"666","email":"x@y.dk"},{"hs_object_id":"41","email":"a@b.dk"}]`, 500, []string{"41"}, ""},
			{"failing amid a bad one", `[{"hs_object_id":"42"},{"hs_object_id":"666"},{"hs_object_id":"43","email":"nope"},{"hs_object_id":"44"}]`,
				500, []string{"42", "44"}, "[2].email"},
			{"afterwards", `{"hs_object_id":"45"}`, 200, []string{"45"}, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				status, ans := send(t, srv, "/hooks/hubspot", tt.body, "", now, secret)
				if status != tt.wantStatus {
					t.Fatalf("status %d, want %d: %v", status, tt.wantStatus, ans)
				}
				if n := countLeads(t, s, tt.wantStored...); n != len(tt.wantStored) {
					t.Errorf("%d of the contacts %v stored: %v", n, tt.wantStored, ans)
				}
				if ans["stored"] != float64(len(tt.wantStored)) {
					t.Errorf("answer says %v stored, want %d: %v", ans["stored"], len(tt.wantStored), ans)
				}
				msg, _ := ans["error"].(string)
				if failing := strings.Contains(tt.body, "666"); failing != strings.Contains(msg, "666") {
					t.Errorf("error %q names the contact not stored: %v, want %v", msg, !failing, failing)
				}
				if tt.wantField != "" {
					if fields, _ := ans["fields"].(map[string]any); fields[tt.wantField] == nil {
						t.Errorf("fields %v do not name %q", ans["fields"], tt.wantField)
					}
				}
			})
		}
		if n := countLeads(t, s, "666", "43"); n != 0 {
			t.Errorf("%d of the failing and the bad contact stored", n)
		}
	})
}
