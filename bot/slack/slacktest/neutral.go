package slacktest

import (
	"strconv"
	"strings"

	"github.com/handoff/handoff/bot"
)

// Neutral reads the message back into the platform-neutral model, so that
// what the stand-in received can be printed by the terminal renderer
// (bot/report's Render) like any other message: the header, each section's
// text and its fields ("*Key*\nValue"), data tables and charts, the context
// elements and the buttons. Slack's mrkdwn is bot markup already (mentions
// <@U123>, entities &amp; &lt; &gt;) but for a link (<https://…|words>),
// which is read back as the section's bot.Link and its words; a
// preformatted table or chart stays its section's text, without the ```
// fences. A message without blocks is
// its fallback text.
func (m Message) Neutral() bot.Message {
	out := bot.Message{Summary: m.Text}
	for _, b := range m.Blocks {
		switch b["type"] {
		case "header":
			out.Header = textOf(b["text"])
		case "section":
			s := bot.Section{Text: strings.NewReplacer("```\n", "", "\n```", "").Replace(textOf(b["text"]))}
			s.Text, s.Link = unlink(s.Text)
			for _, f := range list(b["fields"]) {
				t := textOf(f)
				if sub := fieldRE.FindStringSubmatch(t); sub != nil {
					s.Fields = append(s.Fields, bot.Field{Key: sub[1], Value: sub[2]})
				} else {
					s.Fields = append(s.Fields, bot.Field{Value: t})
				}
			}
			out.Sections = append(out.Sections, s)
		case "context":
			for _, e := range list(b["elements"]) {
				if t := textOf(e); t != "" {
					out.Context = append(out.Context, t)
				}
			}
		case "actions":
			for _, e := range list(b["elements"]) {
				if em, ok := e.(map[string]any); ok && em["type"] == "button" {
					id, _ := em["action_id"].(string)
					value, _ := em["value"].(string)
					out.Buttons = append(out.Buttons, bot.Button{Text: textOf(em["text"]), ActionID: id, Value: value})
				}
			}
		case "data_table":
			out.Tables = append(out.Tables, neutralTable(b))
		case "data_visualization":
			out.Charts = append(out.Charts, neutralChart(b))
		}
	}
	return out
}

// unlink reads the first link of section text s (<https://…|words>, as
// Slack writes one) back into its words and a bot.Link; s as it is and nil
// when it holds none.
func unlink(s string) (string, *bot.Link) {
	i := strings.Index(s, "<https://")
	if i < 0 {
		return s, nil
	}
	j := strings.IndexByte(s[i:], '>')
	if j < 0 {
		return s, nil
	}
	url, words, ok := strings.Cut(s[i+1:i+j], "|")
	if !ok {
		return s, nil
	}
	url = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">").Replace(url)
	return s[:i] + words + s[i+j+1:], &bot.Link{Words: words, URL: url}
}

// neutralTable reads a data_table block: its caption, the first row as the
// columns, numeric where a data cell is a raw_number.
func neutralTable(b map[string]any) bot.Table {
	t := bot.Table{}
	t.Title, _ = b["caption"].(string)
	for i, r := range list(b["rows"]) {
		var row []string
		for j, c := range list(r) {
			if cm, ok := c.(map[string]any); ok && cm["type"] == "raw_number" && i > 0 {
				for len(t.Numeric) <= j {
					t.Numeric = append(t.Numeric, false)
				}
				t.Numeric[j] = true
			}
			row = append(row, cellMarkup(c))
		}
		if i == 0 {
			for _, c := range row {
				t.Columns = append(t.Columns, bot.Unescape(c))
			}
			continue
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// cellMarkup writes a data_table cell (plain text, a number or rich text
// with user elements) as bot markup.
func cellMarkup(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	switch m["type"] {
	case "user":
		id, _ := m["user_id"].(string)
		return bot.Mention(id)
	case "raw_number":
		if t, _ := m["text"].(string); t != "" {
			return bot.Escape(t)
		}
		n, _ := m["value"].(float64)
		return strconv.FormatFloat(n, 'f', -1, 64)
	}
	if t, ok := m["text"].(string); ok {
		return bot.Escape(t)
	}
	var b strings.Builder
	for _, e := range list(m["elements"]) {
		b.WriteString(cellMarkup(e))
	}
	return b.String()
}

// neutralChart reads a data_visualization bar or line chart.
func neutralChart(b map[string]any) bot.Chart {
	chart, _ := b["chart"].(map[string]any)
	axis, _ := chart["axis_config"].(map[string]any)
	c := bot.Chart{Kind: bot.ChartBar}
	if chart["type"] == "line" {
		c.Kind = bot.ChartLine
	}
	c.Title, _ = b["title"].(string)
	c.Unit, _ = axis["y_label"].(string)
	for _, cat := range list(axis["categories"]) {
		s, _ := cat.(string)
		c.Categories = append(c.Categories, s)
	}
	for _, series := range list(chart["series"]) {
		sm, _ := series.(map[string]any)
		s := bot.Series{}
		s.Name, _ = sm["name"].(string)
		for _, p := range list(sm["data"]) {
			pm, _ := p.(map[string]any)
			v, _ := pm["value"].(float64)
			s.Values = append(s.Values, v)
		}
		c.Series = append(c.Series, s)
	}
	return c
}
