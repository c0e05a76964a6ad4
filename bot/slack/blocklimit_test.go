package slack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/handoff/handoff/bot"
	slackbot "github.com/handoff/handoff/bot/slack"
	"github.com/handoff/handoff/bot/slack/slacktest"
)

// TestLongMessageFitsSlacksBlockLimit: a message of 80 sections (a long
// lead history, say) is more than the 50 blocks Slack takes in a message,
// which it refuses whole (invalid_blocks). Posted, posted privately,
// updated and sent through a response_url to the fake Slack, which
// refuses it as Slack does, it arrives in 50 blocks: its header, the
// first sections, a line saying how many sections it leaves out, its
// context and its buttons.
func TestLongMessageFitsSlacksBlockLimit(t *testing.T) {
	fake := slacktest.New(token)
	defer fake.Close()
	p := slackbot.NewPlatform(slackbot.NewClient(token, "", fake.APIURL(), slacktest.ClientTimeout))
	ctx := context.Background()
	msg := bot.Message{Summary: "History of Acme A/S", Header: "🗂 History of Acme A/S",
		Context: []string{"Times are Europe/Copenhagen."},
		Buttons: []bot.Button{{ActionID: bot.ActionClaim, Value: "42", Text: "✋ Claim", Style: bot.StylePrimary}}}
	for i := range 80 {
		msg.Sections = append(msg.Sections, bot.Section{Text: fmt.Sprintf("Step %d: routed", i+1)})
	}
	golden(t, "long_message", map[string]any{"blocks": slackbot.RenderBlocks(msg)})

	for _, tt := range []struct {
		method string
		send   func() error
	}{
		{"chat.postMessage", func() error { _, err := p.Post(ctx, "CSALES", msg); return err }},
		{"chat.postEphemeral", func() error { return p.PostPrivate(ctx, "CSALES", "U1", msg) }},
		{"chat.update", func() error { return p.Update(ctx, "CSALES", "1.2", msg) }},
		{"response_url", func() error { return p.Reply(ctx, fake.ResponseURL("r1"), msg) }},
	} {
		t.Run(tt.method, func(t *testing.T) {
			if err := tt.send(); err != nil {
				t.Fatalf("%s of 80 sections: %v", tt.method, err)
			}
			calls := fake.Calls(tt.method)
			last := calls[len(calls)-1]
			raw := last.Param("blocks")
			if raw == "" && last.JSON != nil { // a response_url's JSON body
				raw = jsonString(t, last.JSON["blocks"])
			}
			var blocks []struct {
				Type    string `json:"type"`
				BlockID string `json:"block_id"`
			}
			if err := json.Unmarshal([]byte(raw), &blocks); err != nil {
				t.Fatal(err)
			}
			if len(blocks) != slacktest.MaxMessageBlocks {
				t.Errorf("%d blocks, want %d", len(blocks), slacktest.MaxMessageBlocks)
			}
			if n := len(blocks); n < 2 || blocks[n-1].Type != "actions" || blocks[n-2].BlockID != "context" {
				t.Errorf("the message ends with %+v, want its context and its buttons", blocks[max(0, n-2):])
			}
			if !strings.Contains(raw, "…and 34 more.") || !strings.Contains(raw, "Step 46: routed") || strings.Contains(raw, "Step 47: routed") {
				t.Errorf("want steps 1 to 46 and \"…and 34 more.\": %s", raw)
			}
		})
	}
}
