package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/bot/teams/teamstest"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestChatTestGivesUpAfterTheConfiguredTimeout: SLACK_TIMEOUT and
// TEAMS_TIMEOUT are what the clients serve wires (here through handoff
// chat test) give a call. With the setting at 1s, a post to the sales
// channel that the platform answers only once the client gave up (or
// after 10 s, under both defaults: 30 s for Slack, 15 s for Teams) fails
// with the client's timeout and the command exits 1; with the defaults
// the post would be answered and taken.
func TestChatTestGivesUpAfterTheConfiguredTimeout(t *testing.T) {
	const answerAfter = 10 * time.Second
	tests := []struct {
		name string
		// start returns the command's environment, its platform a fake
		// whose next post waits (SlowNext).
		start    func(t *testing.T, dialect string) map[string]string
		dialects []string
		line     string // the sales channel's line, up to its error
		timedOut string // in the line: the client's timeout
	}{
		{name: "SLACK_TIMEOUT", dialects: []string{"none"}, // Slack alone posts without a database
			start: func(t *testing.T, _ string) map[string]string {
				slack := slacktest.New(e2eToken)
				t.Cleanup(slack.Close)
				slack.SlowNext("chat.postMessage", 1, answerAfter)
				return map[string]string{"DATABASE_URL": filepath.Join(t.TempDir(), "never-created.db"),
					"SLACK_BOT_TOKEN": e2eToken, "SLACK_API_URL": slack.APIURL(), "SLACK_SIGNING_SECRET": e2eSecret,
					"SLACK_SALES_CHANNEL": e2eSales, "SLACK_TIMEOUT": "1s"}
			},
			line: "slack sales channel " + e2eSales + ": ", timedOut: "Client.Timeout exceeded"},
		{name: "TEAMS_TIMEOUT", dialects: storagetest.Dialects,
			start: func(t *testing.T, dialect string) map[string]string {
				bf := teamstest.New(t)
				vars := teamsVars(t, dialect, bf)
				e := startTeams(t, bf, vars) // installed, so that the channels are known
				e.install()
				e.srv.stop()
				bf.SlowNext(1, answerAfter)
				vars["TEAMS_TIMEOUT"] = "1s"
				return vars
			},
			line: "teams sales channel " + teamsTeamName + "/Sales: ", timedOut: "context deadline exceeded"},
	}
	for _, tt := range tests {
		for _, dialect := range tt.dialects {
			t.Run(tt.name+"/"+dialect, func(t *testing.T) {
				e, out, errOut := testEnv(tt.start(t, dialect), "chat", "test")
				code := run(context.Background(), e)
				all := out.String() + errOut.String()
				var line string
				for l := range strings.Lines(all) {
					if strings.HasPrefix(l, tt.line) {
						line = l
					}
				}
				if code != 1 || !strings.Contains(line, tt.timedOut) {
					t.Fatalf("chat test: exit %d, sales channel's line %q; want exit 1 and %q in it; output:\n%s", code, line, tt.timedOut, all)
				}
			})
		}
	}
}
