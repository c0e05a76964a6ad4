package teams_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/teams"
)

// markdownMarks are the characters Adaptive Card markdown acts on.
const markdownMarks = "*_~`[]"

// readMarkdown reads s as Adaptive Card (CommonMark) markdown does its
// backslash escapes: a backslash before ASCII punctuation stands for that
// character. It returns the text shown and the marks left active (not
// escaped), in order.
func readMarkdown(s string) (shown, active string) {
	var text, marks strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) && strings.IndexByte("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", s[i+1]) >= 0 {
			text.WriteByte(s[i+1])
			i++
			continue
		}
		if strings.IndexByte(markdownMarks, c) >= 0 {
			marks.WriteByte(c)
		}
		text.WriteByte(c)
	}
	return text.String(), marks.String()
}

// TestRenderBackslashesInData shows data with backslashes as written: a
// backslash of the data must not escape the backslash Handoff puts before
// a mark, which would leave the mark live (a link, emphasis) and the bold
// around the lead's name broken.
func TestRenderBackslashesInData(t *testing.T) {
	for _, data := range []string{
		`\[Open in CRM\](https://evil.example)`,
		`\[Pay here\](javascript:alert(1))`,
		`\*urgent\* \_now\_ \~no\~ \` + "`code\\`",
		`Berg ApS\`,
		`C:\Users\ann`,
		`\\`,
	} {
		t.Run(data, func(t *testing.T) {
			msg := bot.Message{Summary: "x", Sections: []bot.Section{{
				Text:   "*" + bot.Escape(data) + "*",
				Fields: []bot.Field{{Key: "Company", Value: bot.Escape(data)}},
			}}}
			raw, err := json.Marshal(teams.RenderCard(msg, names))
			if err != nil {
				t.Fatal(err)
			}
			var card struct {
				Body []struct {
					Text  string `json:"text"`
					Facts []struct {
						Value string `json:"value"`
					} `json:"facts"`
				} `json:"body"`
			}
			if err := json.Unmarshal(raw, &card); err != nil {
				t.Fatal(err)
			}
			if len(card.Body) != 2 || len(card.Body[1].Facts) != 1 {
				t.Fatalf("card = %s, want a TextBlock and a FactSet of one fact", raw)
			}
			if shown, active := readMarkdown(card.Body[1].Facts[0].Value); shown != data || active != "" {
				t.Errorf("fact %q shows %q with marks %q live; want %q, none live", card.Body[1].Facts[0].Value, shown, active, data)
			}
			if shown, active := readMarkdown(card.Body[0].Text); shown != "**"+data+"**" || active != "****" {
				t.Errorf("bold text %q shows %q with marks %q live; want %q, only the bold's ****", card.Body[0].Text, shown, active, "**"+data+"**")
			}
		})
	}
}
