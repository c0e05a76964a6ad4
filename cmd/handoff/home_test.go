package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/storage/storagetest"
)

// openHome sends a signed app_home_opened event for user's Home tab.
func (s *server) openHome(t *testing.T, user string) {
	t.Helper()
	body := fmt.Sprintf(`{"type":"event_callback","team_id":"T0001","event_id":"Ev%d","event_time":%d,`+
		`"event":{"type":"app_home_opened","user":%q,"channel":"D%s","tab":"home"}}`, time.Now().UnixNano(), time.Now().Unix(), user, user)
	resp, err := http.DefaultClient.Do(slacktest.SignedRequest(s.base+"/slack/events", e2eSecret, time.Now(), body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("app_home_opened = %d", resp.StatusCode)
	}
}

// homeOf waits for the n-th views.publish to user and returns its view as
// JSON text.
func homeOf(t *testing.T, slack *slacktest.Server, user string, n int) string {
	t.Helper()
	for deadline := time.Now().Add(e2ePatience); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		var views []string
		for _, c := range slack.Calls("views.publish") {
			if c.Param("user_id") == user {
				views = append(views, jsonText(c.JSON["view"]))
			}
		}
		if len(views) >= n {
			return views[n-1]
		}
	}
	t.Fatalf("no home number %d published for %s; calls: %v", n, user, slack.Calls("views.publish"))
	return ""
}

// TestAppHome runs the real server against the fake Slack on each
// database: opening the Home tab publishes the rep's home, a claim
// republishes it with the lead and its buttons, a release takes the lead
// out again, and a manager's home lists the team's open breaches.
func TestAppHome(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			slack := slacktest.New(e2eToken)
			defer slack.Close()
			vars := map[string]string{
				"DATABASE_URL": storagetest.URL(t, dialect), "HANDOFF_API_TOKEN": "tok", "HANDOFF_CONFIG": teamsPolicy(t, "1h", "2h"),
				"SLACK_BOT_TOKEN": e2eToken, "SLACK_SIGNING_SECRET": e2eSecret, "SLACK_API_URL": slack.APIURL(),
				"SLACK_SALES_CHANNEL": e2eSales, "SLACK_MANAGER_CHANNEL": e2eManager, "SLACK_MANAGERS": "UMGR001",
			}
			slack.SetMembers(e2eSales, "UREP", "UMGR001")
			srv := startServer(t, vars)

			srv.openHome(t, "UREP")
			if home := homeOf(t, slack, "UREP", 1); !strings.Contains(home, "Your open leads (0)") || strings.Contains(home, "open breaches") {
				t.Fatalf("a new rep's home = %s", home)
			}

			srv.postLead(t, `{"external_id":"home-1","company":"Acme Home A/S","name":"Ann Berg","score":80}`)
			srv.postLead(t, fmt.Sprintf(`{"external_id":"home-late","company":"Late Home ApS","occurred_at":%q}`,
				time.Now().Add(-3*time.Hour).UTC().Format(time.RFC3339)))
			posts := slack.Wait("chat.postMessage", 2, e2ePatience)
			ts := ""
			for _, p := range posts {
				if strings.Contains(p.Param("text"), "Acme Home") {
					ts = p.TS
				}
			}
			srv.click(t, slack, "UREP", ts, bot.ActionClaim, "1")
			home := homeOf(t, slack, "UREP", 2)
			for _, want := range []string{"Your open leads (1)", "Acme Home A/S (home-1)", `"action_id":"` + bot.ActionLogContact + `"`, `"action_id":"` + bot.ActionRelease + `"`} {
				if !strings.Contains(home, want) {
					t.Errorf("home after the claim lacks %s: %s", want, home)
				}
			}

			srv.openHome(t, "UMGR001")
			if home := homeOf(t, slack, "UMGR001", 1); !strings.Contains(home, "Team: open breaches") || !strings.Contains(home, "Late Home ApS") {
				t.Errorf("the manager's home lacks the team's breach: %s", home)
			}

			srv.click(t, slack, "UREP", ts, bot.ActionRelease, "1")
			if home := homeOf(t, slack, "UREP", 3); !strings.Contains(home, "Your open leads (0)") || strings.Contains(home, "Acme Home") {
				t.Errorf("home after the release = %s", home)
			}
		})
	}
}
