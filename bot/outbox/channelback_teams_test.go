package outbox_test

import (
	"context"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/outbox"
	"github.com/handoff/handoff/bot/teams"
	"github.com/handoff/handoff/bot/teams/teamstest"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestDispatchTeamsPostThroughQueuesWhatTheTeamRefused: a Teams card
// refused while the app was out of the sales channel's team (the
// refusal names the team) is queued again when the next card goes
// through in that team's channel, configured by name, though the word of
// the app added back was missed.
func TestDispatchTeamsPostThroughQueuesWhatTheTeamRefused(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		bf := teamstest.New(t)
		const team, sales = "19:general@thread.tacv2", "19:sales@thread.tacv2"
		if err := s.SaveTeamsConversation(ctx, handoff.TeamsConversation{ConversationID: sales, ChannelID: sales, ChannelName: "Sales",
			TeamID: team, TeamName: "Sales Team", ServiceURL: bf.ServiceURL(), TenantID: "t1", BotID: "28:" + teamstest.AppID}, t0); err != nil {
			t.Fatal(err)
		}
		p := teams.NewPlatform(teams.NewConnector(teamstest.AppID, teamstest.AppSecret, bf.TokenURL(), nil, teamstest.ClientTimeout), s, "t1")
		config := func(worker string) outbox.Config {
			return outbox.Config{Store: s, Targets: []bot.Target{{Platform: p, SalesChannel: "Sales Team/Sales"}}, Policy: handoff.DefaultPolicy(),
				Now: func() time.Time { return t0 }, Logger: quiet(), Worker: worker, Lease: time.Minute}
		}
		bf.Refuse(sales, 403, "BotNotInConversationRoster")
		saveLead(t, s, "teams-refused")
		drain(t, outbox.New(config("before")))
		dead, err := s.DeadOutbox(ctx, 0)
		if err != nil || len(dead) != 1 || dead[0].RefusedBy != team {
			t.Fatalf("dead = %+v, %v; want the card, refused by the team", dead, err)
		}

		bf.Refuse(sales, 0, "")
		saveLead(t, s, "teams-through")
		drain(t, outbox.New(config("after")))
		posted := 0
		for _, c := range bf.Calls() {
			if c.Op == "create" {
				posted++
			}
		}
		if st := outboxStatus(t, s); posted != 2 || st.Dead != 0 || st.Pending != 0 {
			t.Fatalf("%d cards posted, outbox %+v; want both cards posted and nothing dead", posted, st)
		}
	})
}

// TestDispatchTeamsChannelByIDNeverStored: a sales channel set by an id
// never stored (a channel older than the app's installation) is reached
// with the latest stored team's reference, but which team holds it is not
// known: with the app in two teams, a refusal names the channel, not the
// latest team, so the app's return (which calls ChannelBack with it, see
// bot/teams) and the next card through the channel each bring the card
// back.
func TestDispatchTeamsChannelByIDNeverStored(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		bf := teamstest.New(t)
		const teamA, teamB, sales = "19:teama@thread.tacv2", "19:teamb@thread.tacv2", "19:salesa@thread.tacv2"
		for i, team := range []string{teamA, teamB} {
			if err := s.SaveTeamsConversation(ctx, handoff.TeamsConversation{ConversationID: team, ChannelID: team, ChannelName: "General",
				TeamID: team, TeamName: team, ServiceURL: bf.ServiceURL(), TenantID: "t1", BotID: "28:" + teamstest.AppID}, t0.Add(time.Duration(i)*time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		p := teams.NewPlatform(teams.NewConnector(teamstest.AppID, teamstest.AppSecret, bf.TokenURL(), nil, teamstest.ClientTimeout), s, "t1")
		disp := outbox.New(outbox.Config{Store: s, Targets: []bot.Target{{Platform: p, SalesChannel: sales}}, Policy: handoff.DefaultPolicy(),
			Now: func() time.Time { return t0 }, Logger: quiet(), Worker: "w", Lease: time.Minute})
		refusedOnce := func(key string) {
			t.Helper()
			bf.Refuse(sales, 403, "BotNotInConversationRoster")
			saveLead(t, s, key)
			drain(t, disp)
			dead, err := s.DeadOutbox(ctx, 0)
			if err != nil || len(dead) != 1 || dead[0].RefusedBy != sales {
				t.Fatalf("dead = %+v, %v; want the card, refused by the channel %s", dead, err, sales)
			}
			bf.Refuse(sales, 0, "")
		}
		posted := func() int {
			n := 0
			for _, c := range bf.Calls() {
				if c.Op == "create" {
					n++
				}
			}
			return n
		}

		refusedOnce("back-by-event")
		disp.ChannelBack(ctx, "teams", sales)
		drain(t, disp)
		if st := outboxStatus(t, s); posted() != 1 || st.Dead != 0 {
			t.Fatalf("after the app's return: %d cards posted, outbox %+v; want the card posted", posted(), st)
		}

		refusedOnce("back-by-the-next-card")
		saveLead(t, s, "through")
		drain(t, disp)
		if st := outboxStatus(t, s); posted() != 3 || st.Dead != 0 || st.Pending != 0 {
			t.Fatalf("after the next card: %d cards posted, outbox %+v; want all three posted and nothing dead", posted(), st)
		}
	})
}
