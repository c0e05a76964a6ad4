package main

import (
	"strings"
	"testing"

	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/teams/teamstest"
	"github.com/handoff/handoff/storage/storagetest"
)

// The members of the Teams sales team in the tests of reps named by email
// or by name: Ann and Bo are reps, the two Carls share a display name.
var (
	rosterAnn   = teamstest.Member{ID: "29:ann", Name: "Ann Berg", AADObjectID: "6f1c2d3e-4a5b-4c6d-8e7f-00000000a001", Email: "Ann.Berg@example.com", UserPrincipalName: "ann.berg@example.com"}
	rosterBo    = teamstest.Member{ID: "29:bo", Name: "Bo Holm", AADObjectID: "6f1c2d3e-4a5b-4c6d-8e7f-00000000b002", Email: "bo@example.com", UserPrincipalName: "bo@example.com"}
	rosterCarl1 = teamstest.Member{ID: "29:carl1", Name: "Carl Dahl", AADObjectID: "6f1c2d3e-4a5b-4c6d-8e7f-00000000c003", Email: "carl.dahl@example.com"}
	rosterCarl2 = teamstest.Member{ID: "29:carl2", Name: "Carl Dahl", AADObjectID: "6f1c2d3e-4a5b-4c6d-8e7f-00000000c004", Email: "carl.dahl2@example.com"}
	rosterMgr   = teamstest.Member{ID: "29:mgr", Name: "Mona Manager", AADObjectID: "6f1c2d3e-4a5b-4c6d-8e7f-00000000d005", Email: "mona@example.com"}
)

// TestRoutingEndToEndTeamsRepByEmail: a Teams rep named in the agreement
// by email, who never talked to the bot, is found among the members of
// the sales channel's team (listed page by page) and gets the offer in
// their own chat, and their Accept counts as theirs; a rep whose email
// no member has is skipped, with the reason in the lead's routing and in
// GET /api/routing, rather than offered a lead nobody sees.
func TestRoutingEndToEndTeamsRepByEmail(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			bf := teamstest.New(t)
			bf.SetRoster(teamsTeamID, rosterMgr, rosterCarl1, rosterCarl2, rosterBo, rosterAnn)
			bf.SetPageSize(2)
			vars := teamsVars(t, dialect, bf)
			vars["HANDOFF_CONFIG"] = routingPolicy(t, "teams: zoe@example.com", "teams: ann.berg@example.com")
			e := startTeams(t, bf, vars)
			e.install()

			e.srv.postLead(t, `{"external_id":"re-1","name":"Dorte Holm","company":"Holm ApS","score":80}`)
			dm := e.waitCalls("offer DM", 1, e2ePatience, sentContaining("Offered to you"))[0]
			created := e.calls(func(c teamstest.Call) bool { return c.Op == "create" && c.ConversationID == dm.ConversationID })
			if len(created) != 1 || !strings.Contains(jsonText(created[0].Body["members"]), `"id":"29:ann"`) {
				t.Fatalf("the offer's chat was created as %s, want one with Ann's Bot Framework id", jsonText(created))
			}
			_, lead := e.srv.apiCall(t, "GET", "/api/leads/re-1", "")
			var routed string
			for _, ev := range lead["events"].([]any) {
				if ev := ev.(map[string]any); ev["kind"] == "routed" {
					routed = jsonText(ev)
				}
			}
			if !strings.Contains(routed, `"offered":"teams:ann.berg@example.com"`) || !strings.Contains(routed, `unreachable`) {
				t.Fatalf("routed event = %s, want Ann offered and Zoe skipped as unreachable", routed)
			}
			_, overview := e.srv.apiCall(t, "GET", "/api/routing", "")
			if zoe := repRow(t, overview["reps"], "teams:zoe@example.com"); zoe["available"] != false || zoe["skip"] != "unreachable" {
				t.Fatalf("GET /api/routing row of Zoe = %s", jsonText(zoe))
			}

			got := e.invokeCard(e.personalInvoke(rosterAnn.ID, rosterAnn.Name, rosterAnn.AADObjectID, dm.ConversationID, dm.ActivityID, bot.ActionAccept, 1))
			if !strings.Contains(got, "Claimed by <at>Ann Berg</at>") {
				t.Fatalf("accept answer = %s", got)
			}
			e.waitCalls("accepted DM", 1, e2ePatience, func(c teamstest.Call) bool {
				return c.Op == "update" && c.ActivityID == dm.ActivityID && strings.Contains(jsonText(c.Body), "Accepted")
			})
			if n := len(e.calls(func(c teamstest.Call) bool { return c.Op == "members" })); n < 3 {
				t.Fatalf("the roster of 5 was read in %d pages of 2, want 3", n)
			}
		})
	}
}
