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
		p := teams.NewPlatform(teams.NewConnector(teamstest.AppID, teamstest.AppSecret, bf.TokenURL(), nil), s, "t1")
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
