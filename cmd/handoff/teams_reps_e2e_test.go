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
			dm := e.offerDMTo(rosterAnn.ID)
			routed := lastRouted(t, e.srv, "re-1")
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

// offerDMTo waits for an offer's direct message and checks that its chat
// was created with the user of Bot Framework id rep; it returns the send.
func (e *teamsE2E) offerDMTo(rep string) teamstest.Call {
	e.t.Helper()
	dm := e.waitCalls("offer DM", 1, e2ePatience, sentContaining("Offered to you"))[0]
	created := e.calls(func(c teamstest.Call) bool { return c.Op == "create" && c.ConversationID == dm.ConversationID })
	if len(created) != 1 || !strings.Contains(jsonText(created[0].Body["members"]), `"id":"`+rep+`"`) {
		e.t.Fatalf("the offer's chat was created as %s, want one with %s", jsonText(created), rep)
	}
	return dm
}

// lastRouted is the last routed event of the lead with external id ext,
// as GET /api/leads shows it, in JSON.
func lastRouted(t *testing.T, srv *server, ext string) string {
	t.Helper()
	_, lead := srv.apiCall(t, "GET", "/api/leads/"+ext, "")
	var routed string
	for _, ev := range lead["events"].([]any) {
		if ev := ev.(map[string]any); ev["kind"] == "routed" {
			routed = jsonText(ev)
		}
	}
	return routed
}

// command sends a signed message activity from the manager: text in
// conversation (a channel, or "a:…" for the manager's chat with the bot)
// with entities, as Teams sends a message that mentions people.
func (e *teamsE2E) command(conversation, text string, entities ...map[string]any) {
	e.t.Helper()
	a := e.activity("message", rosterMgr.ID, rosterMgr.Name, conversation)
	a["from"].(map[string]any)["aadObjectId"] = rosterMgr.AADObjectID
	a["text"] = text
	if len(entities) > 0 {
		list := make([]any, len(entities))
		for i, en := range entities {
			list[i] = en
		}
		a["entities"] = list
	}
	if status, body := e.post(a, e.token()); status != 200 {
		e.t.Fatalf("command %q: HTTP %d %s", text, status, body)
	}
}

// mentionOf is the mention entity Teams adds for "<at>name</at>" in a message.
func mentionOf(id, name string) map[string]any {
	return map[string]any{"type": "mention", "text": "<at>" + name + "</at>", "mentioned": map[string]any{"id": id, "name": name}}
}

// TestTeamsManagerNamesRepByMentionOrName: a manager sets a rep's time off
// in Teams by @mentioning them in a channel (the activity's mention
// entities) or by their display name in a chat with the bot, when the name
// is unique among the team's members; a name two members share is refused
// with a hint; back by mention ends it.
func TestTeamsManagerNamesRepByMentionOrName(t *testing.T) {
	bf := teamstest.New(t)
	bf.SetRoster(teamsTeamID, rosterMgr, rosterCarl1, rosterCarl2, rosterBo, rosterAnn)
	vars := teamsVars(t, "sqlite", bf)
	vars["HANDOFF_CONFIG"] = routingPolicy(t, "teams: ann.berg@example.com", "teams: "+rosterBo.AADObjectID, "teams: "+rosterCarl1.AADObjectID)
	vars["TEAMS_MANAGERS"] = rosterMgr.AADObjectID
	e := startTeams(t, bf, vars)
	e.install()
	away := func(rep string) map[string]any {
		t.Helper()
		return e.srv.waitJSON(t, "/api/routing", func(o map[string]any) bool { return repRow(t, o["reps"], rep)["skip"] == "away" })
	}

	// In the sales channel, mentioning the bot and Ann.
	e.command(teamsSalesID, "<at>Handoff</at> away <at>Ann Berg</at> until 2099-12-24 parental leave",
		mentionOf(teamsBotID, "Handoff"), mentionOf(rosterAnn.ID, rosterAnn.Name))
	if ann := repRow(t, away("teams:ann.berg@example.com")["reps"], "teams:ann.berg@example.com"); ann["detail"] != "parental leave" {
		t.Fatalf("Ann after the mention = %s", jsonText(ann))
	}
	// In the manager's chat with the bot, by display name.
	e.command("a:mgr-chat", "away bo holm until 2099-12-24 skiing")
	if bo := repRow(t, away("teams:" + rosterBo.AADObjectID)["reps"], "teams:"+rosterBo.AADObjectID); bo["detail"] != "skiing" {
		t.Fatalf("Bo after naming him = %s", jsonText(bo))
	}
	// A name two members share names nobody.
	e.command("a:mgr-chat", "away Carl Dahl until 2099-12-24")
	e.waitCalls("ambiguous name", 1, e2ePatience, sentContaining("2 members of the team are called Carl Dahl"))
	_, o := e.srv.apiCall(t, "GET", "/api/routing", "")
	if carl := repRow(t, o["reps"], "teams:"+rosterCarl1.AADObjectID); carl["available"] != true {
		t.Fatalf("Carl after an ambiguous name = %s", jsonText(carl))
	}
	// back, by mention.
	e.command("a:mgr-chat", "back <at>Ann Berg</at>", mentionOf(rosterAnn.ID, rosterAnn.Name))
	e.srv.waitJSON(t, "/api/routing", func(o map[string]any) bool {
		return repRow(t, o["reps"], "teams:ann.berg@example.com")["available"] == true
	})
}
