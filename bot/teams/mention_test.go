package teams_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/teams"
)

// TestRenderDataCannotMention renders lead data written as a Teams mention
// on a card that mentions the rep it names, in each place data reaches a
// card (header, section text, a fact, a table cell, a context line): Teams
// makes a mention of every <at>…</at> whose text an entity has, so the data
// must never be left as one; it is shown as written, and the card's one
// real mention stays.
func TestRenderDataCannotMention(t *testing.T) {
	for _, data := range []string{
		"<at>Rita Rep</at>",
		"Acme <at>Rita Rep</at> A/S",
		`\<at>Rita Rep</at>`,
		"<at>Rita Rep</at",
		"<AT>Rita Rep</AT>",
	} {
		t.Run(data, func(t *testing.T) {
			d := bot.Escape(data)
			msg := bot.Message{
				Summary:  "x",
				Header:   data,
				Sections: []bot.Section{{Text: "*" + d + "* claimed by " + bot.Mention(repID), Fields: []bot.Field{{Key: "Company", Value: d}}}},
				Tables:   []bot.Table{{Title: "Leads", Columns: []string{"Lead", "Owner"}, Rows: [][]string{{d, bot.Mention(repID)}}}},
				Context:  []string{"Lead " + d},
			}
			raw, err := json.Marshal(teams.RenderCard(msg, names))
			if err != nil {
				t.Fatal(err)
			}
			var texts []string
			var walk func(v any)
			walk = func(v any) {
				switch v := v.(type) {
				case map[string]any:
					if v["type"] == "TextBlock" {
						texts = append(texts, v["text"].(string))
					}
					if title, ok := v["title"].(string); ok {
						if value, ok := v["value"].(string); ok {
							texts = append(texts, title, value)
						}
					}
					for k, x := range v {
						if k != "msteams" {
							walk(x)
						}
					}
				case []any:
					for _, x := range v {
						walk(x)
					}
				}
			}
			var card any
			if err := json.Unmarshal(raw, &card); err != nil {
				t.Fatal(err)
			}
			walk(card)
			all := strings.Join(texts, "\n")
			// Teams matches an entity's text as written, before markdown.
			const real = "<at>Rita Rep</at>"
			if n := strings.Count(strings.ToLower(all), strings.ToLower(real)); n != 2 {
				t.Errorf("the card's text holds %q %d times, want 2 (the section's and the table's real mention):\n%s", real, n, all)
			}
			if n := unescapedLess(all); n != 4 {
				t.Errorf("the card's text has %d < not escaped, want 4 (the real mentions' tags):\n%s", n, all)
			}
			shown, _ := readMarkdown(all)
			if got := strings.Count(shown, data); got < 4 {
				t.Errorf("the data %q is shown %d times, want it in the header, text, fact, cell and context:\n%s", data, got, shown)
			}
		})
	}
}

// unescapedLess counts the < of s that markdown does not read as an
// escaped character (a backslash before it, not itself escaped).
func unescapedLess(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s):
			i++
		case s[i] == '<':
			n++
		}
	}
	return n
}
