package slack_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	slackapi "github.com/slack-go/slack"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/report"
	slackbot "github.com/handoff/handoff/bot/slack"
	"github.com/handoff/handoff/internal/fixtures"
)

func TestRenderReportGolden(t *testing.T) {
	p := fixtures.Policy(t)
	for name, msg := range fixtures.ReportMessages(t, p, handoff.Owner{Platform: "slack", UserID: "U0REP42"}) {
		t.Run(name, func(t *testing.T) {
			blocks := slackbot.RenderBlocks(msg)
			golden(t, name, map[string]any{"blocks": blocks})
			for _, b := range blocks {
				if v, ok := b.(*slackapi.DataVisualizationBlock); ok {
					if err := v.Validate(); err != nil {
						t.Errorf("chart %s: %v", v.BlockID, err)
					}
				}
			}
			// The same message without native blocks, for workspaces that refuse them.
			golden(t, name+"_classic", map[string]any{"blocks": slackbot.RenderClassicBlocks(msg)})
		})
	}
}

func TestRenderTableLimits(t *testing.T) {
	tb := bot.Table{Title: "Big", Columns: []string{"Rep", "N"}, Numeric: []bool{false, true}}
	for i := range 130 {
		tb.Rows = append(tb.Rows, []string{bot.Mention(fmt.Sprintf("U%d", i)) + " & co", fmt.Sprint(i * 1000)})
	}
	chart := bot.Chart{Kind: bot.ChartLine, Title: strings.Repeat("t", 80), Series: []bot.Series{{Name: "A series name that is too long"}}}
	for i := range 30 {
		chart.Categories = append(chart.Categories, fmt.Sprintf("category number %d", i))
		chart.Series[0].Values = append(chart.Series[0].Values, float64(i))
	}
	blocks := slackbot.RenderBlocks(bot.Message{Tables: []bot.Table{tb}, Charts: []bot.Chart{chart}})
	table, ok := blocks[0].(*slackapi.DataTableBlock)
	if !ok {
		t.Fatalf("block 0 = %T, want a data table", blocks[0])
	}
	if len(table.Rows) != 101 || table.PageSize != 20 {
		t.Errorf("rows = %d, page size = %d; want header + 100 rows, pages of 20", len(table.Rows), table.PageSize)
	}
	raw, _ := json.Marshal(table.Rows[1])
	if !strings.Contains(string(raw), `"type":"rich_text"`) || !strings.Contains(string(raw), `"user_id":"U0"`) || !strings.Contains(string(raw), `"type":"raw_number"`) {
		t.Errorf("row 1 = %s, want a user mention and a raw number", raw)
	}
	if note, ok := blocks[1].(*slackapi.ContextBlock); !ok || note.BlockID != "table_0_more" {
		t.Errorf("block 1 = %#v, want the note on the 30 rows left out", blocks[1])
	}
	viz, ok := blocks[2].(*slackapi.DataVisualizationBlock)
	if !ok {
		t.Fatalf("block 2 = %T, want a chart", blocks[2])
	}
	if err := viz.Validate(); err != nil {
		t.Errorf("chart does not validate: %v", err)
	}
	// Slack allows 10,000 characters across a message's table cells: rows
	// past that are left out, and a table with no room left becomes text.
	wide := bot.Table{Title: "Wide", Columns: []string{"Text"}}
	for range 100 {
		wide.Rows = append(wide.Rows, []string{strings.Repeat("x", 150)})
	}
	twice := slackbot.RenderBlocks(bot.Message{Tables: []bot.Table{wide, wide}})
	if dt, ok := twice[0].(*slackapi.DataTableBlock); !ok || len(dt.Rows) != 1+66 {
		t.Errorf("first wide table = %#v, want header + 66 rows (4 + 66 × 150 ≤ 10,000)", twice[0])
	}
	if _, ok := twice[2].(*slackapi.SectionBlock); !ok {
		t.Errorf("second wide table = %T, want text after the first's note on its 34 rows left out", twice[2])
	}

	// Labels cut to 20 characters collide ("category number 1…"): the
	// chart falls back to text rather than being refused.
	chart.Categories = []string{"a very long category A", "a very long category B"}
	chart.Series[0].Values = []float64{1, 2}
	if _, ok := slackbot.RenderBlocks(bot.Message{Charts: []bot.Chart{chart}})[0].(*slackapi.SectionBlock); !ok {
		t.Error("a chart whose labels collide once cut is not rendered as text")
	}
}

// TestClassicTableShowsDataAsWritten renders tables and charts as text (the
// App Home, and workspaces that refuse native blocks): data inside the code
// block is shown as written, never as Message markup's entities (&#95;),
// and the title is written like any text, its data unable to format.
func TestClassicTableShowsDataAsWritten(t *testing.T) {
	data := "spring_sale [Q4] *x* ~y~ `z` Berg & Co <!channel>"
	msg := bot.Message{
		Tables: []bot.Table{{Title: "By *campaign* " + data, Columns: []string{"Campaign", "SQLs"}, Numeric: []bool{false, true},
			Rows: [][]string{{bot.Escape(data), "3"}, {bot.Escape("```*fake*```"), "1"}}}},
		Charts: []bot.Chart{{Kind: bot.ChartBar, Title: data, Categories: []string{data}, Series: []bot.Series{{Name: "SQLs", Values: []float64{3}}}}},
	}
	blocks := slackbot.RenderClassicBlocks(msg)
	if len(blocks) != 2 {
		t.Fatalf("blocks = %d, want a section for the table and one for the chart", len(blocks))
	}
	for i, b := range blocks {
		sec, ok := b.(*slackapi.SectionBlock)
		if !ok {
			t.Fatalf("block %d = %T, want a section", i, b)
		}
		text := sec.Text.Text
		title, code, ok := strings.Cut(text, "```")
		if !ok || strings.Count(text, "```") != 2 {
			t.Fatalf("block %d = %q, want one code block (data cannot close it)", i, text)
		}
		// Inside ``` Slack shows every character as it is but decodes &amp;, &lt; and &gt;.
		shown := strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">").Replace(code)
		if !strings.Contains(shown, data) || strings.Contains(code, "&#") || strings.Contains(code, "<!") {
			t.Errorf("block %d code block %q, want %q as written", i, code, data)
		}
		for _, live := range []string{"*x*", "~y~", "`z`", "<!channel>", "&#"} {
			if strings.Contains(title, live) {
				t.Errorf("block %d title %q shows %q live or as an entity", i, title, live)
			}
		}
	}
}

// TestRenderTableSaysWhatItLeavesOut renders a digest of 200 reps, natively
// and as text: Slack shows only the first rows (100 in a data table, fewer
// within 10,000 characters, or 3,000 characters of text), and a line under
// the table says how many rows it left out and where to read every one.
func TestRenderTableSaysWhatItLeavesOut(t *testing.T) {
	p := fixtures.Policy(t)
	var reps []handoff.RepActivity
	for i := range 200 {
		reps = append(reps, handoff.RepActivity{Owner: handoff.Owner{Platform: "slack", UserID: fmt.Sprintf("U%03d", i)},
			Claimed: 3, Contacted: 2, SLAStats: handoff.SLAStats{Due: 3, Met: 2, Breached: 1}})
	}
	week, err := handoff.ParsePeriod("2026-W47", fixtures.Now, p.Location)
	if err != nil {
		t.Fatal(err)
	}
	digest := report.DigestMessage(handoff.NewFunnel(handoff.FunnelFilter{Period: week, Now: fixtures.Now}, handoff.FunnelCounts{}, p),
		reps, handoff.OpenSQLs{}, nil, nil, fixtures.Now, p)
	for name, render := range map[string]func(bot.Message) []slackapi.Block{"native": slackbot.RenderBlocks, "classic": slackbot.RenderClassicBlocks} {
		t.Run(name, func(t *testing.T) {
			blocks := render(digest)
			for i, b := range blocks {
				if b.ID() != "table_0" {
					continue
				}
				shown := 0
				switch b := b.(type) {
				case *slackapi.DataTableBlock:
					shown = len(b.Rows) - 1
				case *slackapi.SectionBlock:
					shown = strings.Count(b.Text.Text, "\n") - 4 // the lines of the title, fences, header and rule
				}
				want := fmt.Sprintf("Not shown here: %d more rows. `handoff digest --week 2026-W47 --print` shows every rep.", 200-shown)
				raw, _ := json.Marshal(blocks[min(i+1, len(blocks)-1)])
				if shown <= 0 || shown >= 200 || !strings.Contains(string(raw), want) {
					t.Errorf("table shows %d rows and is followed by %s; want %q", shown, raw, want)
				}
				return
			}
			t.Fatal("no table_0 block")
		})
	}
}
