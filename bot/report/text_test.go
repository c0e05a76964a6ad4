package report_test

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/report"
	"github.com/handoff/handoff/internal/fixtures"
	goldenfile "github.com/handoff/handoff/internal/golden"
)

func TestRender(t *testing.T) {
	m := bot.Message{
		Summary:  "ignored when there is a body",
		Header:   "📊 Funnel 2026-11",
		Sections: []bot.Section{{Text: "*Acme* &amp; co, owned by " + bot.MentionOn("slack", "U1", "rep1@acme.dk"), Fields: []bot.Field{{Key: "Revenue", Value: "DKK 60,000"}, {Key: "SLA", Value: "83%"}}}},
		Tables: []bot.Table{
			{Title: "Funnel", Columns: []string{"Stage", "Count", "Status"}, Numeric: []bool{false, true, false},
				Rows: [][]string{{"Leads", "1,250", "✅ ok"}, {"SQLs", "12", "⚠️ behind"}, {bot.Mention("U2"), "3", ""}}},
			{Title: "Breached (0)", Columns: []string{"Lead"}},
		},
		Charts: []bot.Chart{{Kind: bot.ChartBar, Title: "Trend", Categories: []string{"W46", "W47"},
			Series: []bot.Series{{Name: "SQLs", Values: []float64{10, 5}}, {Name: "In time", Values: []float64{0, 66.5}}}, Unit: ""}},
		Context: []string{"⏱ Claim by Tue 14:00"},
		Buttons: []bot.Button{{Text: "✋ Claim"}, {Text: "Not a fit"}},
	}
	want := `📊 Funnel 2026-11
═════════════════

Acme & co, owned by rep1@acme.dk
  Revenue  DKK 60,000
  SLA      83%

Funnel
  Stage  Count  Status
  ─────  ─────  ─────────
  Leads  1,250  ✅ ok
  SQLs      12  ⚠️ behind
  @U2        3

Breached (0)
  (none)

Trend
  SQLs
  W46  ██████████████████████████████ 10
  W47  ███████████████ 5
  In time
  W46  0
  W47  ██████████████████████████████ 66.5

⏱ Claim by Tue 14:00

[✋ Claim] [Not a fit]
`
	if got := report.Render(m); got != want {
		t.Errorf("Render:\n%s\nwant:\n%s", got, want)
	}
	names := report.Options{Names: func(platform, id string) (string, bool) { return map[string]string{"U2": "Mette"}[id], id == "U2" }}
	if got := names.Plain(bot.Mention("U2") + " &lt;3"); got != "@Mette <3" {
		t.Errorf("Plain = %q", got)
	}
	if got := report.Render(bot.Message{Summary: "*Only* a summary"}); got != "Only a summary\n" {
		t.Errorf("summary-only = %q", got)
	}
}

func TestWidth(t *testing.T) {
	for s, want := range map[string]int{"abc": 3, "✅": 2, "⚠️": 2, "📊 x": 4, "æøå": 3, "─": 1} {
		if got := report.Width(s); got != want {
			t.Errorf("Width(%q) = %d, want %d", s, got, want)
		}
	}
}

// TestRenderNeverWritesControlSequences renders data holding an escape
// sequence, a C1 control, a NUL and a broken byte: the terminal gets visible
// escapes instead.
func TestRenderNeverWritesControlSequences(t *testing.T) {
	m := bot.Message{
		Header:   "Lead \x1b]0;pwned\x07",
		Sections: []bot.Section{{Text: bot.Escape("Ann \x1b[2J\u009b31m\x00\xff"), Fields: []bot.Field{{Key: "Reason", Value: bot.Escape("line 1\nline\r2")}}}},
	}
	got := report.Render(m)
	for _, c := range []string{"\x1b", "\x07", "\u009b", "\x00", "\xff", "\r"} {
		if strings.Contains(got, c) {
			t.Fatalf("output holds %q:\n%q", c, got)
		}
	}
	for _, want := range []string{`Lead \x1b]0;pwned\x07`, `Ann \x1b[2J\u009b31m\x00\xff`, "line 1\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
}

// TestRenderShowsBidiControls renders a header, which names the lead as it
// is, and an import's column and reason holding bidi overrides and
// isolates: the terminal gets them as visible escapes, so none shows the
// rest of its line reordered.
func TestRenderShowsBidiControls(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{report.Render(bot.Message{Header: "New SQL: Ann \u202eBerg", Sections: []bot.Section{{Text: "claimed by Rita"}}}), `New SQL: Ann \u202eBerg`},
		{report.Printable("Email\u2067 \u202a\u202b\u202c\u202d\u2066\u2068\u2069"), `Email\u2067 \u202a\u202b\u202c\u202d\u2066\u2068\u2069`},
	} {
		if i := strings.IndexFunc(tc.got, bot.IsBidiControl); i >= 0 {
			t.Errorf("output holds the bidi control %U: %q", []rune(tc.got[i:])[0], tc.got)
		}
		if !strings.Contains(tc.got, tc.want) {
			t.Errorf("output lacks %s: %q", tc.want, tc.got)
		}
	}
}

// TestRenderGoldenFiles renders on the terminal what the Slack and Teams
// golden files show (the lead cards, the report answers) and the cards of
// a lead with hostile data (markup, control characters, a broken byte), with names for mentions: golden files in
// testdata/terminal_*.txt, with no control character but line feeds.
func TestRenderGoldenFiles(t *testing.T) {
	p := fixtures.Policy(t)
	owner := handoff.Owner{Platform: "slack", UserID: "U0REP42"}
	names := report.Options{Names: func(_, id string) (string, bool) { return "Rita Rep", id == owner.UserID }}
	cases := fixtures.Cards(p, owner)
	for name, m := range fixtures.ReportMessages(t, p, owner) {
		cases = append(cases, fixtures.Case{Name: name, Msg: m})
	}
	for _, st := range []handoff.Stage{handoff.StageSQL, handoff.StageRecycled} {
		l := goldenfile.Hostile(fixtures.OwnedLead(p, st, owner))
		cases = append(cases, fixtures.Case{Name: "hostile_" + string(st), Msg: bot.LeadCard(l, fixtures.Now, p)})
	}
	control := fixtures.OwnedLead(p, handoff.StageClaimed, owner)
	control.Name, control.Company = "Ann \x1b]0;pwned\x07\u009b31m\x00\xff", "Acme\r\nA/S"
	cases = append(cases, fixtures.Case{Name: "hostile_control", Msg: bot.LeadCard(control, fixtures.Now, p)})
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			got := names.Render(c.Msg)
			for _, r := range got {
				if r != '\n' && (unicode.IsControl(r) || r == utf8.RuneError) {
					t.Fatalf("output holds control character %U:\n%q", r, got)
				}
			}
			golden(t, "terminal_"+c.Name+".txt", []byte(got))
		})
	}
}
