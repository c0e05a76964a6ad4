package slack_test

import (
	"bytes"
	"encoding/json"
	"testing"
	_ "time/tzdata"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	slackbot "github.com/handoff/handoff/bot/slack"
	"github.com/handoff/handoff/internal/fixtures"
	goldenfile "github.com/handoff/handoff/internal/golden"
)

// lead is the shared fixture lead in stage st, owned in Slack once claimed.
func lead(p handoff.Policy, st handoff.Stage) *handoff.Lead {
	return fixtures.OwnedLead(p, st, handoff.Owner{Platform: "slack", UserID: "U0REP42"})
}

// golden compares with a golden file in testdata/ (go test -update rewrites it).
func golden(t *testing.T, name string, v any) { t.Helper(); goldenfile.JSON(t, name, v) }

func TestRenderGolden(t *testing.T) {
	for _, tt := range fixtures.Cards(fixtures.Policy(t), handoff.Owner{Platform: "slack", UserID: "U0REP42"}) {
		t.Run(tt.Name, func(t *testing.T) {
			golden(t, tt.Name, map[string]any{"blocks": slackbot.RenderBlocks(tt.Msg)})
		})
	}
}

func TestRenderModalGolden(t *testing.T) {
	tests := []struct {
		name string
		form bot.Form
	}{
		{"modal_won", bot.Form{ID: bot.ActionWon, State: `{"lead":42}`, Title: "Won", Submit: "Save", Intro: "🏆 Congratulations on *Acme A/S*!",
			Inputs: []bot.Input{{ID: "amount", Label: "Deal value (DKK)", Kind: bot.InputNumber, Placeholder: "40000"}}}},
		{"modal_recycle", bot.Form{ID: bot.ActionRecycle, State: `{"lead":42}`, Title: "Recycle", Submit: "Return it",
			Inputs: []bot.Input{{ID: "reason", Label: "Why is it not ready?", Kind: bot.InputChoice, Options: handoff.DefaultReasons, Placeholder: "Pick a reason"},
				{ID: "note", Label: "Anything marketing should know?", Kind: bot.InputMultiline, Optional: true}}}},
		{"modal_recycle_many", reasonsForm(manyReasons(150))},
		{"modal_pass", bot.Form{ID: bot.ActionPass, State: `{"lead":42}`, Title: "Pass", Submit: "Pass", Intro: "Pass *Acme A/S* on to the next rep.",
			Inputs: []bot.Input{{ID: "reason", Label: "Why? (optional)", Kind: bot.InputMultiline, Optional: true}}}},
		{"modal_reassign", bot.Form{ID: bot.ActionReassign, State: `{"lead":42}`, Title: "A title far longer than Slack allows", Submit: "Reassign",
			Inputs: []bot.Input{{ID: "owner", Label: "New owner", Kind: bot.InputUser}, {ID: "note", Label: "Note", Kind: bot.InputText, Optional: true}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			golden(t, tt.name, slackbot.RenderModal(tt.form))
		})
	}
}

func TestRenderLimits(t *testing.T) {
	long := string(bytes.Repeat([]byte("x"), 200))
	var fields []bot.Field
	for range 13 {
		fields = append(fields, bot.Field{Key: "k", Value: "v"})
	}
	blocks := slackbot.RenderBlocks(bot.Message{Header: long, Sections: []bot.Section{{Text: "t", Fields: fields}}})
	raw, err := json.Marshal(blocks)
	if err != nil {
		t.Fatal(err)
	}
	var decoded []struct {
		Type string `json:"type"`
		Text struct {
			Text string `json:"text"`
		} `json:"text"`
		Fields []any `json:"fields"`
	}
	if err := json.Unmarshal(raw, &decoded); err != nil {
		t.Fatal(err)
	}
	if len(decoded) != 3 {
		t.Fatalf("blocks = %d, want header and two sections (10 + 3 fields)", len(decoded))
	}
	if n := len([]rune(decoded[0].Text.Text)); n != 150 {
		t.Errorf("header length = %d, want 150", n)
	}
	if len(decoded[1].Fields) != 10 || len(decoded[2].Fields) != 3 {
		t.Errorf("fields per section = %d, %d; want 10, 3", len(decoded[1].Fields), len(decoded[2].Fields))
	}
}

// hostileLead is lead(p, st) with hostile data (see golden.Hostile).
func hostileLead(p handoff.Policy, st handoff.Stage) *handoff.Lead {
	return goldenfile.Hostile(lead(p, st))
}

// TestRenderHostileGolden shows in golden files how hostile lead data is
// rendered: as text to read, never as a mention, link or formatting.
func TestRenderHostileGolden(t *testing.T) {
	for _, tt := range fixtures.HostileCards(fixtures.Policy(t), handoff.Owner{Platform: "slack", UserID: "U0REP42"}) {
		t.Run(tt.Name, func(t *testing.T) { golden(t, tt.Name, map[string]any{"blocks": slackbot.RenderBlocks(tt.Msg)}) })
	}
	golden(t, "hostile_form", slackbot.RenderModal(fixtures.HostileForm()))
}
