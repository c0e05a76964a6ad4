package slacktest_test

import (
	"encoding/json"
	"testing"

	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/report"
	"github.com/handoff/handoff/bot/slack"
	"github.com/handoff/handoff/bot/slack/slacktest"
)

// TestNeutralRoundTrip renders messages as Block Kit, as the stand-in
// receives them, and reads them back: the terminal renderer prints the
// same text as for the message that was sent.
func TestNeutralRoundTrip(t *testing.T) {
	names := report.Options{Names: func(_, id string) (string, bool) {
		n, ok := map[string]string{"U1": "Ann", "U2": "Mette"}[id]
		return n, ok
	}}
	cases := map[string]bot.Message{
		"card": {
			Header:   "🆕 New SQL: Acme & Co",
			Sections: []bot.Section{{Text: "*Acme* &amp; co &lt;3, owned by " + bot.MentionOn("slack", "U1", "ann@acme.dk"), Fields: []bot.Field{{Key: "Revenue", Value: "DKK 60,000"}, {Key: "SLA", Value: "83%"}}}},
			Context:  []string{"⏱ Claim by Tue 14:00"},
			Buttons:  []bot.Button{{Text: "✋ Claim", ActionID: "claim", Value: "1"}, {Text: "Not a fit", ActionID: "not_a_fit", Value: "1"}},
		},
		"report": {
			Header: "📊 Funnel 2026-11",
			Tables: []bot.Table{{Title: "Funnel", Columns: []string{"Stage", "Count", "Status"}, Numeric: []bool{false, true, false},
				Rows: [][]string{{"Leads", "1,250", "✅ ok"}, {"SQLs", "12", "⚠️ behind"}, {bot.Mention("U2") + " (rep)", "3", "–"}}}},
			Charts: []bot.Chart{{Kind: bot.ChartBar, Title: "Trend", Categories: []string{"W46", "W47"},
				Series: []bot.Series{{Name: "SQLs", Values: []float64{10, 5}}, {Name: "In time", Values: []float64{0, 66.5}}}, Unit: "%"}},
		},
		"text only": {Summary: "*Only* a summary for " + bot.Mention("U1")},
	}
	for name, m := range cases {
		t.Run(name, func(t *testing.T) {
			blocks, err := json.Marshal(slack.RenderBlocks(m))
			if err != nil {
				t.Fatal(err)
			}
			got := slacktest.Message{Text: m.Summary, Blocks: slacktest.DecodeBlocks(string(blocks))}.Neutral()
			if want := names.Render(m); names.Render(got) != want {
				t.Errorf("read back:\n%s\nwant:\n%s", names.Render(got), want)
			}
		})
	}
}
