package slack_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot/report"
	slackbot "github.com/handoff/handoff/bot/slack"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/internal/fixtures"
)

// TestTextTablesNameSlackUsers shows the tables Slack gets as text (the App
// Home; a workspace that refuses native tables) to the fake Slack: a
// code block cannot hold a mention, so a Slack user there is written by
// the name users.info gives, not as "a Slack user" or a raw user id.
func TestTextTablesNameSlackUsers(t *testing.T) {
	fake := slacktest.New(token)
	defer fake.Close()
	fake.SetUser("U0REP42", slacktest.User{Name: "Mette Hansen"})
	pl := slackbot.NewPlatform(slackbot.NewClient(token, "", fake.APIURL(), slacktest.ClientTimeout))
	ctx := context.Background()
	p := fixtures.Policy(t)
	now := time.Date(2026, 11, 24, 9, 30, 0, 0, time.UTC)
	week, err := handoff.ParsePeriod("week", now, p.Location)
	if err != nil {
		t.Fatal(err)
	}
	late := fixtures.OwnedLead(p, handoff.StageClaimed, handoff.Owner{Platform: "slack", UserID: "U0REP42"})
	late.SLABreached = true
	open := handoff.OpenSQLs{Breached: []*handoff.Lead{late}, BreachedTotal: 1}
	reps := []handoff.RepSLA{{Owner: handoff.Owner{UserID: "U0REP42"}, SLAStats: handoff.SLAStats{Due: 2, Met: 1, Breached: 1}}}

	for _, tc := range []struct {
		name   string
		send   func() error
		method string
		param  string
	}{
		{"App Home", func() error {
			return pl.PublishHome(ctx, "U0BOSS", report.HomeOf("U0BOSS", week, nil, report.LeadList{}, &open, now, p))
		}, "views.publish", "view"},
		{"refused native tables", func() error {
			fake.ErrorNext("chat.postMessage", 1, "invalid_blocks")
			_, err := pl.Post(ctx, "CSALES", report.SLAMessage(open, reps, week, now, p))
			return err
		}, "chat.postMessage", "blocks"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.send(); err != nil {
				t.Fatal(err)
			}
			calls := fake.Calls(tc.method)
			if len(calls) == 0 {
				t.Fatalf("no %s", tc.method)
			}
			last := calls[len(calls)-1]
			sent := last.Param(tc.param)
			if sent == "" && last.JSON != nil { // sent as JSON
				sent = jsonString(t, last.JSON[tc.param])
			}
			var tables []string
			for i, part := range strings.Split(sent, "```") {
				if i%2 == 1 { // inside a code block
					tables = append(tables, part)
				}
			}
			text := strings.Join(tables, "\n")
			if !strings.Contains(text, "@Mette Hansen") || strings.Contains(text, "U0REP42") || strings.Contains(text, "a Slack user") {
				t.Errorf("the text tables name the rep as:\n%s\nwant @Mette Hansen", text)
			}
		})
	}
}

// jsonString is v as JSON text.
func jsonString(t *testing.T, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}
