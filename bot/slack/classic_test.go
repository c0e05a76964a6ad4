package slack_test

import (
	"context"
	"strings"
	"testing"

	"github.com/handoff/handoff/bot"
	slackbot "github.com/handoff/handoff/bot/slack"
	"github.com/handoff/handoff/bot/slack/slacktest"
)

// TestEveryWriteFallsBackToTextTables sends a message with a table by
// every way the platform writes one, to a Slack that refuses native
// tables (invalid_blocks, a workspace without data_table): each write is
// made again with the table as text. An update of a posted report (an
// erasure updating the digest that named the lead) or the replacement
// of an answer was refused for good, leaving the erased data shown.
func TestEveryWriteFallsBackToTextTables(t *testing.T) {
	fake := slacktest.New(token)
	defer fake.Close()
	p := slackbot.NewPlatform(slackbot.NewClient(token, "", fake.APIURL(), slacktest.ClientTimeout))
	ctx := context.Background()
	msg := bot.Message{Summary: "Digest", Header: "Digest", Private: true,
		Tables: []bot.Table{{Title: "Per rep", Columns: []string{"Rep", "Claimed"}, Numeric: []bool{false, true}, Rows: [][]string{{"erased", "3"}}}}}
	for _, tc := range []struct {
		method, param string
		write         func() error
	}{
		{"chat.postMessage", "blocks", func() error { _, err := p.Post(ctx, "CSALES", msg); return err }},
		{"chat.postEphemeral", "blocks", func() error { return p.PostPrivate(ctx, "CSALES", "U1", msg) }},
		{"chat.update", "blocks", func() error { return p.Update(ctx, "CSALES", "1.2", msg) }},
		{"response_url", "blocks", func() error { return p.Reply(ctx, fake.ResponseURL("r1"), msg) }},
		{"response_url", "blocks", func() error { return p.ReplaceReply(ctx, fake.ResponseURL("r1"), msg) }},
	} {
		t.Run(tc.method, func(t *testing.T) {
			before := len(fake.Calls(tc.method))
			fake.ErrorNext(tc.method, 1, "invalid_blocks")
			if err := tc.write(); err != nil {
				t.Fatalf("%s refused native tables and was not made again as text: %v", tc.method, err)
			}
			calls := fake.Calls(tc.method)
			if len(calls) != before+2 {
				t.Fatalf("%d calls of %s, want the refused one and one with text tables", len(calls)-before, tc.method)
			}
			last := calls[len(calls)-1]
			blocks := last.Param(tc.param)
			if blocks == "" && last.JSON != nil {
				blocks = jsonString(t, last.JSON["blocks"])
			}
			if strings.Contains(blocks, "data_table") || !strings.Contains(blocks, "```") {
				t.Errorf("the second %s sent %s, want the table as text", tc.method, blocks)
			}
		})
	}
}
