package teams_test

import (
	"context"
	"slices"
	"testing"

	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/teams"
	"github.com/handoff/handoff/bot/teams/teamstest"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestRefusalsNameWhereTheAppMustBeBack: the Bot Connector's refusal of a
// channel names its team when the app is not in the team
// (BotNotInConversationRoster) and the channel when it is gone
// (ConversationNotFound), for a new thread and for an update; any other
// refusal names no place. Places gives the same names for the channel as
// configured, by name or id.
func TestRefusalsNameWhereTheAppMustBeBack(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		bf := teamstest.New(t)
		ctx := context.Background()
		const team, sales = "19:general@thread.tacv2", "19:sales@thread.tacv2"
		saveSalesTeam(t, s, bf, team, sales)
		p := teams.NewPlatform(teams.NewConnector(teamstest.AppID, teamstest.AppSecret, bf.TokenURL(), nil, teamstest.ClientTimeout), s, "t1")
		for _, tt := range []struct {
			status int
			code   string
			want   string
		}{
			{403, "BotNotInConversationRoster", team},
			{404, "ConversationNotFound", sales},
			{400, "BadArgument", ""},
		} {
			bf.Refuse(sales, tt.status, tt.code)
			_, postErr := p.Post(ctx, "Sales Team/Sales", bot.Notice("a card"))
			updateErr := p.Update(ctx, sales, "1001", bot.Notice("a card"))
			for op, err := range map[string]error{"post": postErr, "update": updateErr} {
				if !bot.IsPermanent(err) || bot.RefusedBy(err) != tt.want {
					t.Errorf("%s refused with %s: %v, refused by %q; want permanent, refused by %q", op, tt.code, err, bot.RefusedBy(err), tt.want)
				}
			}
		}
		for channel, want := range map[string][]string{
			"Sales Team/Sales": {sales, team}, sales: {sales, team},
			"19:unknown@thread.tacv2": {"19:unknown@thread.tacv2"}, "Not Installed Yet": nil,
		} {
			if got, err := p.Places(ctx, channel); err != nil || !slices.Equal(got, want) {
				t.Errorf("Places(%q) = %v, %v; want %v", channel, got, err, want)
			}
		}
	})
}
