package slack_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/handoff/handoff/bot"
	slackbot "github.com/handoff/handoff/bot/slack"
	"github.com/handoff/handoff/bot/slack/slacktest"
)

// TestTextTablesOfManyRepsListUsers posts a table of 200 reps to a Slack
// that refuses native tables, then publishes an App Home naming the same
// reps. users.info is a Tier 4 method (about 100 calls a minute): one call
// per rep would overrun it on the first digest. The names come from
// users.list, 200 users a call, once, into the one cache the App Home
// reads too.
func TestTextTablesOfManyRepsListUsers(t *testing.T) {
	fake := slacktest.New(token)
	defer fake.Close()
	const reps = 200
	table := bot.Table{Title: "Per rep", Columns: []string{"Rep", "Claimed"}, Numeric: []bool{false, true}}
	for i := range reps {
		id := fmt.Sprintf("U%04d", i)
		fake.SetUser(id, slacktest.User{Name: fmt.Sprintf("Rep %04d", i)})
		table.Rows = append(table.Rows, []string{bot.MentionOn("slack", id, ""), "1"})
	}
	for i := range 50 { // users the table does not name: the list has more pages
		fake.SetUser(fmt.Sprintf("U9%03d", i), slacktest.User{Name: "Other"})
	}
	p := slackbot.NewPlatform(slackbot.NewClient(token, "", fake.APIURL(), slacktest.ClientTimeout))
	ctx := context.Background()
	msg := bot.Message{Summary: "Digest", Header: "Digest", Tables: []bot.Table{table}}
	fake.ErrorNext("chat.postMessage", 1, "invalid_blocks")
	if _, err := p.Post(ctx, "CSALES", msg); err != nil {
		t.Fatal(err)
	}
	if err := p.PublishHome(ctx, "U0001", bot.Home{Week: msg}); err != nil {
		t.Fatal(err)
	}
	if n := len(fake.Calls("users.info")); n != 0 {
		t.Errorf("%d users.info calls for %d reps, want none (Tier 4: about 100 a minute)", n, reps)
	}
	if n := len(fake.Calls("users.list")); n != 1 {
		t.Errorf("%d users.list calls, want 1 (200 users a call, kept for the App Home too)", n)
	}
	posts := fake.Calls("chat.postMessage")
	if sent := posts[len(posts)-1].Param("blocks"); !strings.Contains(sent, "@Rep 0000") || strings.Contains(sent, "U0000") {
		t.Errorf("the text table names the first rep as:\n%.400s\nwant @Rep 0000", sent)
	}
}
