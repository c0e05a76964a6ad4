package slack_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/handoff/handoff/bot"
	slackbot "github.com/handoff/handoff/bot/slack"
)

// manyReasons are n reasons, "Reason 1" to "Reason n".
func manyReasons(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("Reason %d", i+1)
	}
	return out
}

// reasonsForm is the Recycle form over reasons.
func reasonsForm(reasons []string) bot.Form {
	return bot.Form{ID: bot.ActionRecycle, State: `{"lead":42}`, Title: "Recycle", Submit: "Return it",
		Inputs: []bot.Input{{ID: "reason", Label: "Why is it not ready?", Kind: bot.InputChoice, Options: reasons, Placeholder: "Pick a reason"},
			{ID: "note", Label: "Anything marketing should know?", Kind: bot.InputMultiline, Optional: true}}}
}

// TestRenderModalManyReasons: a Slack menu holds 100 options, and the
// modal offered the first 100 of an agreement's 150 reasons, dropping the
// other 50 unseen. It shows the first 99 and, last, "Not listed (type it
// below)", a line saying how many it leaves out and how to give one, and
// a text input to type it in; up to 100 reasons it shows them all, as
// before.
func TestRenderModalManyReasons(t *testing.T) {
	tests := []struct {
		reasons     int
		wantOptions int
		wantHint    string // "" for no cut
	}{
		{8, 8, ""},
		{100, 100, ""},
		{101, 100, "2 more choices are not in the list"},
		{150, 100, "51 more choices are not in the list"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.reasons), func(t *testing.T) {
			raw, err := json.Marshal(slackbot.RenderModal(reasonsForm(manyReasons(tt.reasons))))
			if err != nil {
				t.Fatal(err)
			}
			var view struct {
				Blocks []struct {
					Type    string `json:"type"`
					BlockID string `json:"block_id"`
					Element struct {
						Type     string `json:"type"`
						ActionID string `json:"action_id"`
						Options  []struct {
							Value string `json:"value"`
						} `json:"options"`
					} `json:"element"`
					Elements []struct {
						Text string `json:"text"`
					} `json:"elements"`
					Optional bool `json:"optional"`
				} `json:"blocks"`
			}
			if err := json.Unmarshal(raw, &view); err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, b := range view.Blocks {
				ids = append(ids, b.BlockID)
			}
			menu := view.Blocks[0]
			if menu.BlockID != "reason" || menu.Element.Type != "static_select" {
				t.Fatalf("blocks %v, want the reason menu first", ids)
			}
			opts := menu.Element.Options
			if len(opts) != tt.wantOptions {
				t.Fatalf("%d options, want %d", len(opts), tt.wantOptions)
			}
			if tt.wantHint == "" {
				if len(view.Blocks) != 2 || opts[len(opts)-1].Value != fmt.Sprintf("Reason %d", tt.reasons) {
					t.Fatalf("blocks %v, last option %q: want every reason and the note", ids, opts[len(opts)-1].Value)
				}
				return
			}
			if opts[98].Value != "Reason 99" || opts[99].Value == "Reason 100" {
				t.Fatalf("options 99 and 100 = %q, %q; want Reason 99 and one to type another", opts[98].Value, opts[99].Value)
			}
			if len(view.Blocks) != 4 || view.Blocks[1].Type != "context" || len(view.Blocks[1].Elements) != 1 ||
				!strings.Contains(view.Blocks[1].Elements[0].Text, tt.wantHint) || !strings.Contains(view.Blocks[1].Elements[0].Text, "type yours") {
				t.Fatalf("blocks %v; want after the menu a line saying %q and how to give one", ids, tt.wantHint)
			}
			typed := view.Blocks[2]
			if typed.Type != "input" || typed.Element.Type != "plain_text_input" || !typed.Optional || typed.BlockID == "" || typed.Element.ActionID != typed.BlockID {
				t.Fatalf("block after the line = %+v, want an optional text input to type the reason", typed)
			}
		})
	}
}
