package slack_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	slackapi "github.com/slack-go/slack"

	slackbot "github.com/handoff/handoff/bot/slack"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/internal/testkit"
)

// TestCachedFetchWaitsTheConfiguredTimeout: a fetch the caches make
// (the sales channel's members, the managers' user group, users.info)
// goes out with SLACK_TIMEOUT's deadline, set when the fetch began, not
// the cache's own default bound (10 s): each setting is above it, the
// default one (30 s) and a raised one. A setting below the default
// bounds every call anyway (the client's own timeout:
// TestChatTestGivesUpAfterTheConfiguredTimeout). Slack is held, so the
// fetch is under way when its deadline is read from the request
// (testkit.Deadlines), never timed: the deadline is the setting after
// the fetch began, so it is at least the setting after the test asked
// for it and at most the setting after the call was sent, however long
// a loaded machine took in between. The caller gets its answer once
// Slack is released.
func TestCachedFetchWaitsTheConfiguredTimeout(t *testing.T) {
	fetchers := []struct {
		name   string
		method string // the Slack method held
		fetch  func(ctx context.Context, api *slackapi.Client, setting time.Duration) error
	}{
		{"sales channel members", "conversations.members", func(ctx context.Context, api *slackapi.Client, setting time.Duration) error {
			_, err := slackbot.NewSalesMembers(api, "CSALES", setting).IsSalesMember(ctx, "UREP")
			return err
		}},
		{"managers' user group", "usergroups.users.list", func(ctx context.Context, api *slackapi.Client, setting time.Duration) error {
			_, err := slackbot.NewManagers(api, nil, "SMANAGERS", setting).IsManager(ctx, "UREP")
			return err
		}},
		{"users.info", "users.info", func(ctx context.Context, api *slackapi.Client, setting time.Duration) error {
			return slackbot.NewWorkspace(api, setting).Check(ctx, slacktest.TeamID, "", "UREP")
		}},
	}
	settings := []time.Duration{
		30 * time.Second, // SLACK_TIMEOUT's default
		60 * time.Second,
	}
	for _, setting := range settings {
		for _, f := range fetchers {
			t.Run(setting.String()+"/"+f.name, func(t *testing.T) {
				fake := slacktest.New(token)
				t.Cleanup(fake.Close)
				fake.SetMembers("CSALES", "UREP")
				fake.SetGroup("SMANAGERS", "UBOSS")
				deadlines := &testkit.Deadlines{}
				// The client NewClient makes, on a transport that notes each
				// request's deadline.
				api := slackapi.New(token, slackapi.OptionAPIURL(fake.APIURL()),
					slackapi.OptionHTTPClient(&http.Client{Timeout: setting, Transport: deadlines}))
				arrived, _, release := fake.Hold(f.method)
				t.Cleanup(release)
				done := make(chan error, 1)
				asked := time.Now()
				go func() { done <- f.fetch(context.Background(), api, setting) }()
				<-arrived
				seen := deadlines.Seen()
				release()
				if err := <-done; err != nil {
					t.Fatalf("once Slack answered: %v", err)
				}
				held := seen[len(seen)-1]
				if held.Path != "/api/"+f.method {
					t.Fatalf("requests = %+v, want %s last", seen, f.method)
				}
				if held.At.Before(asked.Add(setting)) || held.At.After(held.Sent.Add(setting)) {
					t.Errorf("%s was sent with %s left to wait, its deadline %s after the fetch was asked for; want the setting, %s, after the fetch began",
						held.Path, held.Left(), held.At.Sub(asked), setting)
				}
			})
		}
	}
}
