package main

import (
	"strings"
	"testing"

	"github.com/handoff/handoff/bot/teams/teamstest"
	"github.com/handoff/handoff/storage/storagetest"
)

// rosterGwen is a member of the Teams sales team who is a guest of the
// tenant, named in the routing agreement by her Entra object id.
var rosterGwen = teamstest.Member{ID: "29:gwen", Name: "Gwen Guest", AADObjectID: "6f1c2d3e-4a5b-4c6d-8e7f-00000000e006",
	Email: "gwen@partner.example", UserPrincipalName: "gwen_partner.example#EXT#@example.onmicrosoft.com", UserRole: "guest"}

// TestRoutingEndToEndTeamsGuestRep: a rep of the routing agreement whom
// the sales team's member record calls a guest of the tenant (userRole
// "guest"), named by Entra object id or by email, is never offered a
// lead: routing skips them as a guest, with the reason in the lead's
// routing and in GET /api/routing, and offers it to a full member.
func TestRoutingEndToEndTeamsGuestRep(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			bf := teamstest.New(t)
			bf.SetRoster(teamsTeamID, rosterMgr, rosterGwen, rosterAnn)
			vars := teamsVars(t, dialect, bf)
			vars["HANDOFF_CONFIG"] = routingPolicy(t, "teams: "+rosterGwen.AADObjectID, "teams: gwen@partner.example", "teams: ann.berg@example.com")
			e := startTeams(t, bf, vars)
			e.install()

			e.srv.postLead(t, `{"external_id":"rg-1","name":"Dorte Holm","company":"Holm ApS","score":80}`)
			e.offerDMTo(rosterAnn.ID)
			if n := len(e.calls(func(c teamstest.Call) bool {
				return c.Op == "create" && strings.Contains(jsonText(c.Body["members"]), `"id":"29:gwen"`)
			})); n != 0 {
				t.Fatalf("%d chats created with the guest", n)
			}
			routed := lastRouted(t, e.srv, "rg-1")
			if !strings.Contains(routed, `"offered":"teams:ann.berg@example.com"`) || strings.Count(routed, `\"Skip\":\"guest\"`) != 2 {
				t.Fatalf("routed event = %s, want Ann offered and Gwen skipped twice as a guest", routed)
			}
			_, overview := e.srv.apiCall(t, "GET", "/api/routing", "")
			for _, key := range []string{"teams:" + rosterGwen.AADObjectID, "teams:gwen@partner.example"} {
				row := repRow(t, overview["reps"], key)
				if row["available"] != false || row["skip"] != "guest" || !strings.Contains(jsonText(row), "a guest of this Microsoft 365 organization") {
					t.Fatalf("GET /api/routing row of %s = %s, want skipped as a guest, saying so", key, jsonText(row))
				}
			}
		})
	}
}
