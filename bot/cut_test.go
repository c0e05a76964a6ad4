package bot_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/handoff/handoff/bot"
	slackbot "github.com/handoff/handoff/bot/slack"
	"github.com/handoff/handoff/bot/teams"
)

// jsonNodes returns every value inside v once marshalled as JSON: objects,
// arrays and scalars, each container before what it holds.
func jsonNodes(t *testing.T, v any) []any {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var tree any
	if err := json.Unmarshal(raw, &tree); err != nil {
		t.Fatal(err)
	}
	var out []any
	var walk func(any)
	walk = func(n any) {
		out = append(out, n)
		switch n := n.(type) {
		case map[string]any:
			for _, c := range n {
				walk(c)
			}
		case []any:
			for _, c := range n {
				walk(c)
			}
		}
	}
	walk(tree)
	return out
}

// renderedStrings returns every string of v once marshalled as JSON.
func renderedStrings(t *testing.T, v any) []string {
	t.Helper()
	var out []string
	for _, n := range jsonNodes(t, v) {
		if s, ok := n.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// TestRenderCutsWholeCharacters renders messages whose texts are far over
// every platform limit (10,000 characters of one unit, at two offsets) and
// checks that each text that was cut ends with a whole unit before its
// ellipsis: no entity cut into "&am…", no flag into one regional
// indicator, no accent, skin tone or joined emoji torn from its letter, and
// no mention cut into "<@U0RE…".
func TestRenderCutsWholeCharacters(t *testing.T) {
	units := map[string]string{ // each one character to a reader
		"ampersand":          "&",
		"angle bracket":      "<",
		"star":               "*",
		"underscore":         "_",
		"combining accent":   "e\u0301",
		"flag":               "🇩🇰",
		"skin tone":          "👍🏽",
		"joined emoji":       "👩\u200d👩\u200d👧",
		"keycap":             "1\ufe0f\u20e3",
		"hebrew with points": "שָׁ",
		"tag flag":           "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",
	}
	render := map[string]func(bot.Message) any{
		"slack": func(m bot.Message) any { return slackbot.RenderBlocks(m) },
		"teams": func(m bot.Message) any { return teams.RenderCard(m, nil) },
	}
	for platform, r := range render {
		for name, unit := range units {
			t.Run(platform+"/"+name, func(t *testing.T) {
				// The unit as the platform writes it in markup text.
				var written []string
				for _, s := range renderedStrings(t, r(bot.Message{Sections: []bot.Section{{Text: bot.Escape(unit)}}})) {
					switch s {
					case "section", "section_0", "mrkdwn", "AdaptiveCard", "TextBlock", "1.5", "Full", "http://adaptivecards.io/schemas/adaptive-card.json":
						continue // the structure around the text
					}
					{
						written = append(written, s)
					}
				}
				cuts := 0
				for _, offset := range []string{"", "."} {
					long := offset + strings.Repeat(unit, 10_000)
					msg := bot.Message{
						Summary:  bot.Escape(long),
						Header:   long,
						Sections: []bot.Section{{Text: "*" + bot.Escape(long) + "*", Fields: []bot.Field{{Key: "Company", Value: bot.Escape(long)}}}},
						Context:  []string{bot.Escape(long)},
						Tables:   []bot.Table{{Title: long, Columns: []string{"Lead"}, Rows: [][]string{{bot.Escape(long)}}}},
						Buttons:  []bot.Button{{ActionID: "a", Value: "1", Text: long}},
					}
					for _, s := range renderedStrings(t, r(msg)) {
						i := strings.LastIndex(s, "…")
						if i < 0 || strings.Contains(s, "```") {
							continue // not cut, or a table as text, cut in its rule
						}
						cuts++
						kept := strings.TrimRight(s[:i], " ")
						if !strings.HasSuffix(kept, unit) && !slices.ContainsFunc(written, func(w string) bool { return strings.HasSuffix(kept, w) }) {
							t.Errorf("cut text ends in a torn unit: …%q, want it to end in %q or %q", tail(kept), unit, written)
						}
					}
				}
				if cuts < 8 {
					t.Errorf("only %d texts were cut; the test lost its point", cuts)
				}
				mentions := bot.Message{Sections: []bot.Section{{Text: strings.Repeat(bot.Mention("U0REP42")+",", 2000)}}}
				for _, s := range renderedStrings(t, r(mentions)) {
					if i := strings.LastIndex(s, "<@"); i >= 0 && !strings.Contains(s[i:], ">") {
						t.Errorf("mention cut apart: …%q", tail(s))
					}
				}
			})
		}
	}
}

// tail is the end of s, for messages.
func tail(s string) string {
	r := []rune(s)
	return string(r[max(0, len(r)-12):])
}

func TestCut(t *testing.T) {
	tests := []struct {
		name, in string
		n        int
		want     string
	}{
		{"fits", "Berg &amp; Co", 13, "Berg &amp; Co"},
		{"entity kept whole", "Berg &amp; Co", 8, "Berg…"},
		{"entity fits", "Berg &amp; Co", 11, "Berg &amp;…"},
		{"mention kept whole", "by <@U0REP42> now", 10, "by…"},
		{"bold closed", "*Ann Berg*, CEO", 8, "*Ann B…*"},
		{"bold already closed", "*Ann* Berg, CEO", 9, "*Ann* Be…"},
		{"flag pair", "🇩🇰🇩🇰🇩🇰", 4, "🇩🇰…"},
		{"accent", "Café", 4, "Café"},
		{"accent written apart", "Cafe\u0301s", 5, "Caf…"},
		{"space trimmed", "Ann Berg", 5, "Ann…"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := bot.Cut(tc.in, tc.n); got != tc.want {
				t.Errorf("Cut(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
			}
			if got := utf8.RuneCountInString(bot.Cut(tc.in, tc.n)); got > tc.n {
				t.Errorf("Cut(%q, %d) has %d characters", tc.in, tc.n, got)
			}
		})
	}
	if got := bot.CutPlain("*Ann Berg*", 5); got != "*Ann…" {
		t.Errorf("CutPlain closed a star of plain text: %q", got)
	}
}
