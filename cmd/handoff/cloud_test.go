package main

import (
	"strings"
	"testing"

	"github.com/handoff/handoff/bot/teams"
	"github.com/handoff/handoff/bot/teams/teamstest"
	"github.com/handoff/handoff/storage"
)

// TestTeamsSovereignCloud runs the server with TEAMS_CLOUD=usgov (its token
// and metadata URLs pointed at the fake Bot Framework, the way a proxy
// would be): activities signed with the US Government issuer are accepted
// and the public cloud's refused, and the bot asks for tokens with the US
// Government scope, which the fake's token endpoint insists on.
func TestTeamsSovereignCloud(t *testing.T) {
	t.Parallel()
	bf := teamstest.New(t)
	bf.SetScope("https://api.botframework.us/.default")
	vars := teamsVars(t, storage.DialectSQLite, bf)
	vars["TEAMS_CLOUD"] = "usgov"
	vars["HANDOFF_CONFIG"] = teamsPolicy(t, "1h", "2h")
	e := startTeams(t, bf, vars)

	public := e.token()
	if status, body := e.post(e.installActivity(), public); status != 401 {
		t.Fatalf("a public-cloud token was answered %d %s, want 401", status, body)
	}
	gov := e.forged(func(c map[string]any) { c["iss"] = "https://api.botframework.us" })
	for _, a := range []map[string]any{e.installActivity(), e.channelCreated(teamsSalesID, "Sales")} {
		if status, body := e.post(a, gov); status != 200 {
			t.Fatalf("a US Government token was answered %d %s", status, body)
		}
	}
	e.srv.postLead(t, `{"external_id":"gov-1","company":"Agency Supply","score":80}`)
	post := e.waitCalls("announcement", 1, e2ePatience, postedTo(teamsSalesID))[0]
	if !strings.Contains(jsonText(post.Body), "Agency Supply") || !strings.Contains(jsonText(post.Body), teams.CardContentType) {
		t.Fatalf("announcement = %s", jsonText(post.Body))
	}
}
