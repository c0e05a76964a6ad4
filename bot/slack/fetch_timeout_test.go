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
// goes out with SLACK_TIMEOUT's deadline, not the cache's own default
// bound (10 s): the setting is above it, and the deadline is checked
// within half the setting, so a loaded machine's delays cannot fail it.
// A setting below the default bounds every call anyway (the client's
// own timeout: TestChatTestGivesUpAfterTheConfiguredTimeout). Slack is held, so the fetch is under
// way when its deadline is read from the request (testkit.Deadlines),
// never timed; the caller gets its answer once Slack is released.
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
	for _, setting := range []time.Duration{40 * time.Second} {
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
				if left := held.Left(); left > setting || left <= setting/2 {
					t.Errorf("%s was sent with %s left to wait, want the setting, %s", held.Path, left, setting)
				}
			})
		}
	}
}
