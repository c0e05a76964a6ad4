package teams_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/teams"
	"github.com/handoff/handoff/bot/teams/teamstest"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestRoleFetchUnansweredAsMembersFetch: the cache of users' roles in the
// tenant (asked where a user outside the sales channel's team wrote to
// the bot) handles a fetch the Bot Connector fails (503) or holds past
// the cache's wait as the cache of the team's members does: the check
// returns an error marked bot.Unanswered, Teams' failure (the user is
// told RoleUnknown or NotKnownMember, logged as a warning), not an
// internal one; and nothing of it is kept: the next check, once the Bot
// Connector answers, asks again and has the answer. The held fetch is
// joined by a check made once its call reached the Bot Connector
// (announced), so the wait that runs out is one the call was under way
// through, whatever the machine's load.
func TestRoleFetchUnansweredAsMembersFetch(t *testing.T) {
	const rep, outsider, chat = "29:1rep", "29:1guest", "a:1guest"
	caches := []struct {
		name string
		// check asks the cache, through the SalesMembers of p, on bf,
		// whose answer, once the Bot Connector gives it, is true.
		check func(ctx context.Context, t *testing.T, p *teams.Platform, bf *teamstest.Server) func() (bool, error)
	}{
		{"members", func(ctx context.Context, t *testing.T, p *teams.Platform, _ *teamstest.Server) func() (bool, error) {
			m := teams.NewSalesMembers(p, sharedSales)
			return func() (bool, error) { return m.IsSalesMember(ctx, rep) }
		}},
		{"roles", func(ctx context.Context, t *testing.T, p *teams.Platform, bf *teamstest.Server) func() (bool, error) {
			m := teams.NewSalesMembers(p, "") // no team to ask: the role alone
			act, err := personalActivity(bf, outsider, chat)
			if err != nil {
				t.Fatal(err)
			}
			m.Saw(act)
			return func() (bool, error) { return m.IsGuest(ctx, outsider) }
		}},
	}
	failures := []struct {
		name string
		// fail makes the Bot Connector fail check's first fetch and
		// returns check's error, and the Bot Connector answering again.
		fail func(t *testing.T, bf *teamstest.Server, arrived <-chan string, check func() (bool, error)) error
	}{
		{"fails", func(t *testing.T, bf *teamstest.Server, _ <-chan string, check func() (bool, error)) error {
			bf.Unavailable(1000, "")
			defer bf.Unavailable(0, "")
			_, err := check()
			return err
		}},
		{"held past the wait", func(t *testing.T, bf *teamstest.Server, arrived <-chan string, check func() (bool, error)) error {
			release := bf.Hold()
			defer release()
			first := make(chan struct{})
			go func() { defer close(first); _, _ = check() }() // starts the fetch
			<-arrived
			_, err := check() // joins it while its call is held
			release()
			<-first
			return err
		}},
	}
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		for _, c := range caches {
			for _, f := range failures {
				t.Run(c.name+"/"+f.name, func(t *testing.T) {
					ctx := context.Background()
					bf := teamstest.New(t)
					bf.SetMembers(sharedTeam, rep)
					bf.SetGuests(outsider)
					if err := s.SaveTeamsConversation(ctx, handoff.TeamsConversation{ConversationID: sharedSales, ChannelID: sharedSales,
						ChannelName: "Sales", TeamID: sharedTeam, ServiceURL: bf.ServiceURL(), TenantID: "t1"}, time.Now()); err != nil {
						t.Fatal(err)
					}
					arrived := make(chan string, 8)
					client := &http.Client{Transport: announced{next: http.DefaultTransport, arrived: arrived}}
					p := teams.NewPlatform(teams.NewConnector(teamstest.AppID, teamstest.AppSecret, bf.TokenURL(), client, teamstest.ClientTimeout), s, "t1")
					check := c.check(ctx, t, p, bf)
					err := f.fail(t, bf, arrived, check)
					if err == nil || !bot.IsUnanswered(err) {
						t.Errorf("check = %v, want an error marked bot.Unanswered (Teams did not answer)", err)
					}
					if got, err := check(); err != nil || !got {
						t.Errorf("once the Bot Connector answers: %v, %v; want its answer, true", got, err)
					}
				})
			}
		}
	})
}
