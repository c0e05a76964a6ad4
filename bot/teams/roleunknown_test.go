package teams_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/teams"
	"github.com/handoff/handoff/bot/teams/teamstest"
	goldenfile "github.com/handoff/handoff/internal/golden"
	"github.com/handoff/handoff/internal/testkit"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestCardActionWhenTheRoleCannotBeRead: a click on a lead's card
// (Action.Execute) is for those who may see leads, which the Bot
// Connector tells (the clicker's member record in the sales channel's
// team). When it does not answer (503), the click was answered with a
// bare "Sorry, that did not work"; the answer (golden file
// invoke_role_unknown.response.json) says what could not be read, that
// nothing was done, and what to do.
func TestCardActionWhenTheRoleCannotBeRead(t *testing.T) {
	const team, sales, rita = "19:general@thread.tacv2", "19:sales@thread.tacv2", "29:1rita"
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		bf := teamstest.New(t)
		bf.SetMembers(team, rita)
		saveSalesTeam(t, s, bf, team, sales)
		p := teams.NewPlatform(teams.NewConnector(teamstest.AppID, teamstest.AppSecret, bf.TokenURL(), nil, teamstest.ClientTimeout), s, "t1")
		members := teams.NewSalesMembers(p, sales)
		policy := handoff.DefaultPolicy()
		b := bot.New(bot.Config{Store: s, Policy: policy, Logger: testkit.Quiet(),
			Managers:     map[string]bot.Managers{teams.Name: teams.NewManagers(p, nil)},
			SalesMembers: map[string]bot.SalesMembers{teams.Name: members}})
		app := teams.NewApp(teams.AppConfig{Bot: b, Leads: s, Store: s, Dedup: s, Platform: p, Members: members, Policy: policy, Logger: testkit.Quiet()})

		bf.Unavailable(10, "")
		tm := teamstest.Team{Tenant: "t1", ID: team, Name: "Sales Team", BotID: "28:" + teamstest.AppID, ServiceURL: bf.ServiceURL()}
		click := tm.Activity("invoke", rita, "Rita Rep", sales+";messageid=1001")
		click["name"] = "adaptiveCard/action"
		data := map[string]any{"action": teams.VerbShowCard, "value": "42"}
		click["value"] = map[string]any{"action": map[string]any{"type": "Action.Execute", "verb": teams.VerbShowCard, "data": data}, "trigger": "manual"}
		res, err := app.Handle(ctx, decoded(t, click))
		if err != nil {
			t.Fatal(err)
		}
		out, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		// Not *.golden.json: TestGoldenCardsMatchSchema reads those as cards.
		goldenfile.File(t, "invoke_role_unknown.response.json", append(out, '\n'))
	})
}

// saveSalesTeam stores the team "Sales Team" (its General channel team)
// with its channel "Sales" (sales), on bf, as installing the app does.
func saveSalesTeam(t *testing.T, s *storage.Store, bf *teamstest.Server, team, sales string) {
	t.Helper()
	for _, ref := range []handoff.TeamsConversation{
		{ConversationID: team, ChannelID: team, ChannelName: "General", TeamID: team, TeamName: "Sales Team"},
		{ConversationID: sales, ChannelID: sales, ChannelName: "Sales", TeamID: team, TeamName: "Sales Team"},
	} {
		ref.ServiceURL, ref.TenantID, ref.BotID = bf.ServiceURL(), "t1", "28:"+teamstest.AppID
		if err := s.SaveTeamsConversation(context.Background(), ref, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
}
