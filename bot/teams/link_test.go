package teams_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot/teams"
	"github.com/handoff/handoff/bot/teams/teamstest"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// A message the bot posted in a channel is linked to in Microsoft's
// documented form for a channel's message, from what the store keeps of
// the channel and its team: the team's group id from the channel itself
// or from the team's General channel (kept when the app was added, as
// Teams names the group in that event); with any part unknown, or for a
// channel never stored, there is no link, and no error.
func TestMessageLink(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		bf := teamstest.New(t)
		ctx := context.Background()
		const (
			team, sales, leads = "19:general@thread.tacv2", "19:sales@thread.tacv2", "19:leads@thread.tacv2"
			other, otherSales  = "19:other@thread.tacv2", "19:othersales@thread.tacv2"
			group              = "6f1c2e7a-0b4d-4c55-9a4e-2d0f3b9e8c11"
		)
		for _, ref := range []handoff.TeamsConversation{
			{ConversationID: team, ChannelID: team, ChannelName: "General", TeamID: team, TeamName: "Sales & Marketing", GroupID: group},
			{ConversationID: sales, ChannelID: sales, ChannelName: "Sales leads", TeamID: team}, // from channelCreated: no group, no team name
			{ConversationID: leads, ChannelID: leads, ChannelName: "Leads", TeamID: team, TeamName: "Sales & Marketing", GroupID: group},
			{ConversationID: other, ChannelID: other, ChannelName: "General", TeamID: other, TeamName: "Other"}, // kept before group ids were
			{ConversationID: otherSales, ChannelID: otherSales, ChannelName: "Sales", TeamID: other, TeamName: "Other"},
		} {
			ref.ServiceURL, ref.TenantID, ref.BotID = bf.ServiceURL(), "t1", "28:"+teamstest.AppID
			if err := s.SaveTeamsConversation(ctx, ref, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		p := teams.NewPlatform(teams.NewConnector(teamstest.AppID, teamstest.AppSecret, bf.TokenURL(), nil, teamstest.ClientTimeout), s, "t1")
		const teamQuery = "&groupId=" + group
		for _, tt := range []struct {
			name, channel, message string
			want                   string
		}{
			{"channel knowing its team", leads, "1763897400000",
				"https://teams.microsoft.com/l/message/19:leads@thread.tacv2/1763897400000?tenantId=t1" + teamQuery + "&parentMessageId=1763897400000&teamName=Sales%20%26%20Marketing&channelName=Leads"},
			{"channel by name, its team's group from General", "Sales leads", "1001",
				"https://teams.microsoft.com/l/message/19:sales@thread.tacv2/1001?tenantId=t1" + teamQuery + "&parentMessageId=1001&teamName=Sales%20%26%20Marketing&channelName=Sales%20leads"},
			{"reply in a thread", leads + ";messageid=1700000000000", "1763897400000",
				"https://teams.microsoft.com/l/message/19:leads@thread.tacv2/1763897400000?tenantId=t1" + teamQuery + "&parentMessageId=1700000000000&teamName=Sales%20%26%20Marketing&channelName=Leads"},
			{"team Teams does not let the bot read", otherSales, "1001", ""},
			{"channel never stored", "19:unknown@thread.tacv2", "1001", ""},
			{"name never stored", "Nowhere", "1001", ""},
			{"direct chat", "29:rita", "1001", ""},
		} {
			t.Run(tt.name, func(t *testing.T) {
				got, err := p.MessageLink(ctx, tt.channel, tt.message)
				if err != nil || got != tt.want {
					t.Errorf("MessageLink(%q, %q) = %q, %v;\nwant %q", tt.channel, tt.message, got, err, tt.want)
				}
			})
		}
	})
}

// A team added before Handoff kept group ids is asked about once: the Bot
// Connector's team details give the group id and the team's name, the link
// is built from them, and they are kept on the channel's row and its
// team's General channel's, so that the next link asks Teams nothing.
// Teams not answering is an error (the earlier card is updated without a
// link, and the next one asks again); a team Teams does not know is no
// link and no error.
func TestMessageLinkAsksTeamsOnceForATeamAddedBeforeGroupIDs(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		bf := teamstest.New(t)
		ctx := context.Background()
		const (
			general, sales = "19:older@thread.tacv2", "19:oldersales@thread.tacv2"
			group          = "0c3d2b1a-9e8f-4a7b-8c6d-5e4f3a2b1c0d"
		)
		for _, ref := range []handoff.TeamsConversation{
			{ConversationID: general, ChannelID: general, ChannelName: "General", TeamID: general, TeamName: "Older team"},
			{ConversationID: sales, ChannelID: sales, ChannelName: "Sales", TeamID: general},
		} {
			ref.ServiceURL, ref.TenantID, ref.BotID = bf.ServiceURL(), "t1", "28:"+teamstest.AppID
			if err := s.SaveTeamsConversation(ctx, ref, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		p := teams.NewPlatform(teams.NewConnector(teamstest.AppID, teamstest.AppSecret, bf.TokenURL(), nil, teamstest.ClientTimeout), s, "t1")
		teamCalls := func() (n int) {
			for _, c := range bf.Calls() {
				if c.Op == "team" {
					n++
				}
			}
			return n
		}

		if got, err := p.MessageLink(ctx, sales, "1001"); got != "" || err != nil {
			t.Fatalf("a team Teams does not know: MessageLink = %q, %v; want no link, no error", got, err)
		}
		bf.SetTeam(teamstest.Team{ID: general, Name: "Older team (renamed)", GroupID: group})
		bf.Unavailable(10, "")
		if got, err := p.MessageLink(ctx, sales, "1001"); got != "" || err == nil {
			t.Fatalf("Teams not answering: MessageLink = %q, %v; want an error", got, err)
		}
		bf.Unavailable(0, "")
		want := "https://teams.microsoft.com/l/message/19:oldersales@thread.tacv2/1001?tenantId=t1&groupId=" + group +
			"&parentMessageId=1001&teamName=Older%20team%20%28renamed%29&channelName=Sales"
		before := teamCalls()
		for i := range 2 {
			if got, err := p.MessageLink(ctx, sales, "1001"); got != want || err != nil {
				t.Fatalf("link %d: MessageLink = %q, %v;\nwant %q", i+1, got, err, want)
			}
		}
		if n := teamCalls() - before; n != 1 {
			t.Errorf("Teams was asked for the team's details %d times for two links; want once", n)
		}
		for _, id := range []string{general, sales} {
			ref, err := s.TeamsConversation(ctx, id)
			if err != nil || ref.GroupID != group || ref.TeamName != "Older team (renamed)" || ref.ServiceURL != bf.ServiceURL() {
				t.Errorf("stored %s = %+v, %v; want the team's group id and name kept", id, ref, err)
			}
		}
		// The General channel's own link needs no call either now.
		if got, err := p.MessageLink(ctx, general, "2002"); err != nil || !strings.Contains(got, "groupId="+group) {
			t.Errorf("General: MessageLink = %q, %v; want a link with the group id", got, err)
		}
		if n := teamCalls() - before; n != 1 {
			t.Errorf("Teams asked %d times after the General channel's link; want once in all", n)
		}
	})
}
