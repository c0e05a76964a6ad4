package teams_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	_ "time/tzdata"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/teams"
	"github.com/handoff/handoff/internal/fixtures"
	goldenfile "github.com/handoff/handoff/internal/golden"
)

// lead is the shared fixture lead in stage st, owned in Teams once claimed.
func lead(p handoff.Policy, st handoff.Stage) *handoff.Lead {
	return fixtures.OwnedLead(p, st, handoff.Owner{Platform: "teams", UserID: repID})
}

const repID = "29:1rep-teams-id"

func names(id string) (string, bool) {
	if id == repID {
		return "Rita Rep", true
	}
	return "", false
}

// golden compares with a golden file in testdata/ (go test -update rewrites it).
func golden(t *testing.T, name string, v any) { t.Helper(); goldenfile.JSON(t, name, v) }

func TestRenderCardGolden(t *testing.T) {
	p := fixtures.Policy(t)
	slackOwned := lead(p, handoff.StageClaimed)
	slackOwned.Owner = handoff.Owner{Platform: "slack", UserID: "U0REP42"}
	tests := append(fixtures.Cards(p, handoff.Owner{Platform: "teams", UserID: repID}),
		fixtures.Case{Name: "claimed_in_slack", Msg: bot.LeadCard(slackOwned, fixtures.Now, p)})
	for _, tt := range tests {
		t.Run(tt.Name, func(t *testing.T) {
			golden(t, tt.Name, teams.RenderCard(tt.Msg, names))
		})
	}
}

func TestRenderFormGolden(t *testing.T) {
	tests := []struct {
		name    string
		form    bot.Form
		problem string
		fields  map[string]string
	}{
		{"form_won", bot.Form{ID: bot.ActionWon, State: `{"lead":42}`, Title: "Won", Submit: "Save", Intro: "🏆 Congratulations on *Acme A/S*!",
			Inputs: []bot.Input{{ID: "amount", Label: "Deal value (DKK)", Kind: bot.InputNumber, Placeholder: "40000"}}}, "", map[string]string{"amount": "The amount: at most two decimals."}},
		{"form_recycle", bot.Form{ID: bot.ActionRecycle, State: `{"lead":42}`, Title: "Recycle", Submit: "Return it",
			Inputs: []bot.Input{{ID: "reason", Label: "Why is it not ready?", Kind: bot.InputChoice, Options: handoff.DefaultReasons, Placeholder: "Pick a reason"},
				{ID: "note", Label: "Anything marketing should know?", Kind: bot.InputMultiline, Optional: true}}}, "", nil},
		{"form_recycle_many", bot.Form{ID: bot.ActionRecycle, State: `{"lead":42}`, Title: "Recycle", Submit: "Return it",
			Inputs: []bot.Input{{ID: "reason", Label: "Why is it not ready?", Kind: bot.InputChoice, Options: longReasons(150), Placeholder: "Pick a reason"},
				{ID: "note", Label: "Anything marketing should know?", Kind: bot.InputMultiline, Optional: true}}}, "", nil},
		{"form_pass", bot.Form{ID: bot.ActionPass, State: `{"lead":42}`, Title: "Pass", Submit: "Pass", Intro: "Pass *Acme A/S* on to the next rep.",
			Inputs: []bot.Input{{ID: "reason", Label: "Why? (optional)", Kind: bot.InputMultiline, Optional: true}}}, "", nil},
		{"form_reassign", bot.Form{ID: bot.ActionReassign, State: `{"lead":42}`, Title: "Reassign", Submit: "Reassign",
			Inputs: []bot.Input{{ID: "owner", Label: "New owner", Kind: bot.InputUser}, {ID: "note", Label: "Note", Kind: bot.InputText, Optional: true}}},
			"Only a sales manager can reassign *Acme A/S* (lead 42).", nil},
		{"form_reassign_owner_unknown", bot.Form{ID: bot.ActionReassign, State: `{"lead":42}`, Title: "Reassign", Submit: "Reassign",
			Inputs: []bot.Input{{ID: "owner", Label: "New owner", Kind: bot.InputUser}, {ID: "note", Label: "Note", Kind: bot.InputText, Optional: true}}},
			"", map[string]string{"owner": bot.OwnerUnknown(teams.Name)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			golden(t, tt.name, teams.RenderForm(tt.form, "42", tt.problem, tt.fields))
		})
	}
}

// longReasons are n reasons of 75 characters, the longest the agreement
// takes: more than a card holds.
func longReasons(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = (fmt.Sprintf("Reason %03d ", i+1) + strings.Repeat("and more words ", 5))[:75]
	}
	return out
}

func TestRenderMarkup(t *testing.T) {
	msg := bot.Message{Summary: "x", Sections: []bot.Section{{Text: "*Bold* &lt;at&gt;fake&lt;/at&gt; by " + bot.Mention(repID) + " and " + bot.Mention(repID)}}}
	raw, err := json.Marshal(teams.RenderCard(msg, names))
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	if !strings.Contains(s, `**Bold**`) {
		t.Errorf("bold not converted: %s", s)
	}
	if n := strings.Count(s, `"type":"mention"`); n != 1 {
		t.Errorf("mention entities = %d, want 1 (deduplicated): %s", n, s)
	}
	if !strings.Contains(s, `\u003cat\u003eRita Rep\u003c/at\u003e`) {
		t.Errorf("mention text missing: %s", s)
	}
}

// TestRenderHostileGolden shows in golden files how hostile lead data is
// rendered: as text to read, never as a mention, link or formatting.
func TestRenderHostileGolden(t *testing.T) {
	for _, tt := range fixtures.HostileCards(fixtures.Policy(t), handoff.Owner{Platform: "teams", UserID: repID}) {
		t.Run(tt.Name, func(t *testing.T) { golden(t, tt.Name, teams.RenderCard(tt.Msg, names)) })
	}
	golden(t, "hostile_form", teams.RenderForm(fixtures.HostileForm(), "42", "", nil))
}
