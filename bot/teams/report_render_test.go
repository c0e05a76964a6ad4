package teams_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/teams"
	"github.com/handoff/handoff/internal/fixtures"
)

func TestRenderReportGolden(t *testing.T) {
	p := fixtures.Policy(t)
	for name, msg := range fixtures.ReportMessages(t, p, handoff.Owner{Platform: "teams", UserID: repID}) {
		t.Run(name, func(t *testing.T) {
			golden(t, name, teams.RenderCard(msg, names))
		})
	}
}

func TestRenderTableMentions(t *testing.T) {
	msg := bot.Message{Summary: "x", Tables: []bot.Table{{Title: "Reps", Columns: []string{"Rep", "N"}, Numeric: []bool{false, true},
		Rows: [][]string{{bot.Mention(repID), "3"}}}}}
	raw, err := json.Marshal(teams.RenderCard(msg, names))
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	for _, want := range []string{`"type":"Table"`, `"horizontalCellContentAlignment":"Right"`, `\u003cat\u003eRita Rep\u003c/at\u003e`, `"type":"mention"`} {
		if !strings.Contains(s, want) {
			t.Errorf("card lacks %s: %s", want, s)
		}
	}
}
