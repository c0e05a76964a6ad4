package teams_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot/teams"
	"github.com/handoff/handoff/bot/teams/teamstest"
	"github.com/handoff/handoff/internal/testkit"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// announced is a transport that announces each request to the Bot
// Connector (not the token's) on arrived before sending it on.
type announced struct {
	next    http.RoundTripper
	arrived chan<- string
}

func (a announced) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.Contains(r.URL.Path, "/v3/") {
		a.arrived <- r.URL.Path
	}
	return a.next.RoundTrip(r)
}

// TestCachedFetchWaitsTheConfiguredTimeout: a fetch the caches make (is
// a user in the sales channel's team, the team's roster, a user's role in
// the tenant where they wrote) goes out with TEAMS_TIMEOUT's deadline,
// set when the fetch began, not the cache's own default bound (10 s):
// each setting is above it, the default one (15 s) and a raised one. A
// setting below the default bounds every call anyway
// (TestConnectorCallWaitsOneTimeout). The Bot Connector is held, so the
// fetch is under way when its deadline is read from the request
// (testkit.Deadlines), never timed: the deadline is the setting after
// the fetch began, so it is at least the setting after the test asked
// for it and at most the setting after the call was sent, however long
// a loaded machine took in between (the store read and the token before
// the call). The caller gets its answer once the Bot Connector is
// released.
func TestCachedFetchWaitsTheConfiguredTimeout(t *testing.T) {
	const rep, outsider, chat = "29:1rep", "29:1outsider", "a:1outsider"
	fetchers := []struct {
		name  string
		fetch func(ctx context.Context, p *teams.Platform, bf *teamstest.Server) error
	}{
		{"sales channel member", func(ctx context.Context, p *teams.Platform, _ *teamstest.Server) error {
			_, err := teams.NewSalesMembers(p, sharedSales).IsSalesMember(ctx, rep)
			return err
		}},
		{"roster", func(ctx context.Context, p *teams.Platform, _ *teamstest.Server) error {
			_, err := teams.NewRoster(p, sharedSales).Members(ctx)
			return err
		}},
		{"role in the tenant", func(ctx context.Context, p *teams.Platform, bf *teamstest.Server) error {
			// Someone who wrote to the bot in their personal chat, where
			// their role is asked; without a sales channel, no team is.
			m := teams.NewSalesMembers(p, "")
			act, err := personalActivity(bf, outsider, chat)
			if err != nil {
				return err
			}
			m.Saw(act)
			_, err = m.IsGuest(ctx, outsider)
			return err
		}},
	}
	settings := []time.Duration{
		15 * time.Second, // TEAMS_TIMEOUT's default
		40 * time.Second,
	}
	for _, setting := range settings {
		for _, f := range fetchers {
			t.Run(setting.String()+"/"+f.name, func(t *testing.T) {
				storagetest.Each(t, func(t *testing.T, s *storage.Store) {
					ctx := context.Background()
					bf := teamstest.New(t)
					bf.SetMembers(sharedTeam, rep)
					if err := s.SaveTeamsConversation(ctx, handoff.TeamsConversation{ConversationID: sharedSales, ChannelID: sharedSales,
						ChannelName: "Sales", TeamID: sharedTeam, ServiceURL: bf.ServiceURL(), TenantID: "t1"}, time.Now()); err != nil {
						t.Fatal(err)
					}
					arrived := make(chan string, 8)
					deadlines := &testkit.Deadlines{Next: announced{next: http.DefaultTransport, arrived: arrived}}
					p := teams.NewPlatform(teams.NewConnector(teamstest.AppID, teamstest.AppSecret, bf.TokenURL(), &http.Client{Transport: deadlines}, setting), s, "t1")
					release := bf.Hold()
					t.Cleanup(release)
					done := make(chan error, 1)
					asked := time.Now()
					go func() { done <- f.fetch(ctx, p, bf) }()
					<-arrived
					seen := deadlines.Seen()
					release()
					if err := <-done; err != nil {
						t.Fatalf("once the Bot Connector answered: %v", err)
					}
					held := seen[len(seen)-1]
					if !strings.Contains(held.Path, "/v3/") {
						t.Fatalf("requests = %+v, want a Bot Connector call last", seen)
					}
					if held.At.Before(asked.Add(setting)) || held.At.After(held.Sent.Add(setting)) {
						t.Errorf("%s was sent with %s left to wait, its deadline %s after the fetch was asked for; want the setting, %s, after the fetch began",
							held.Path, held.Left(), held.At.Sub(asked), setting)
					}
				})
			})
		}
	}
}

// personalActivity is a message from user in their personal chat with
// the bot (chat, "a:…"), on bf, as the App gets it.
func personalActivity(bf *teamstest.Server, user, chat string) (*teams.Activity, error) {
	tm := teamstest.Team{Tenant: "t1", ID: sharedTeam, Name: "Sales Team", BotID: "28:" + teamstest.AppID, ServiceURL: bf.ServiceURL()}
	raw, err := json.Marshal(tm.Activity("message", user, "Olga Outsider", chat))
	if err != nil {
		return nil, err
	}
	return teams.DecodeActivity(raw)
}
