package hubspot_test

import (
	"strings"
	"testing"

	"github.com/handoff/handoff/hubspot"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestForeignPortalRefused checks HUBSPOT_PORTAL_ID: a public app installed
// in two HubSpot accounts signs both accounts' webhooks with one client
// secret, so the signature alone cannot keep the other account's contacts
// out. A contact naming another portal is refused (and nothing of it
// stored) while the rest of its array is taken; one naming none is taken.
func TestForeignPortalRefused(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		srv := newServerOf(t, s, hubspot.Handler{PortalID: "62515"})
		foreign := strings.NewReplacer(`"portal-id": 62515`, `"portal-id": 99999`, `"vid": 101`, `"vid": 111`,
			`"hs_object_id": {"value": "101"`, `"hs_object_id": {"value": "111"`).Replace(classicContact)
		tests := []struct {
			name       string
			body       string
			wantStatus int
			wantField  string
			stored     []string
			refused    []string
		}{
			{"own portal", classicContact, 200, "", []string{"101"}, nil},
			{"another portal", foreign, 400, "portal-id", nil, []string{"111"}},
			{"another portal in an array", `[{"portalId": 99999, "objectId": 121, "email": "x@y.dk"}, ` + flatContact + `]`,
				400, "[0].portalId", []string{"202"}, []string{"121"}},
			{"own portal as a string", `{"portalId": "62515", "hs_object_id": 131}`, 200, "", []string{"131"}, nil},
			{"no portal named", `{"hs_object_id": 141, "email": "no@portal.dk"}`, 200, "", []string{"141"}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				status, ans := send(t, srv, "/hooks/hubspot", tt.body, "", now, secret)
				if status != tt.wantStatus {
					t.Fatalf("status %d, want %d: %v", status, tt.wantStatus, ans)
				}
				if tt.wantField != "" {
					fields, _ := ans["fields"].(map[string]any)
					if why, _ := fields[tt.wantField].(string); !strings.Contains(why, "HUBSPOT_PORTAL_ID") {
						t.Fatalf("fields %v do not name %q as another account's", ans["fields"], tt.wantField)
					}
				}
				if n := countLeads(t, s, tt.stored...); n != len(tt.stored) {
					t.Errorf("%d of %v stored", n, tt.stored)
				}
				if n := countLeads(t, s, tt.refused...); n != 0 {
					t.Errorf("another account's contact %v stored", tt.refused)
				}
			})
		}
	})
}
