package slacktest

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Message is a message as Slack would show it now, rebuilt from the calls
// the fake received.
type Message struct {
	Channel string
	TS      string
	User    string // chat.postEphemeral: the only user who sees it
	Text    string // the fallback text
	Blocks  []map[string]any
	Posted  time.Time // when it was first posted
	Updates int       // how many chat.update calls replaced it since
}

// Messages returns what channel shows now: every message posted to it with
// chat.postMessage, oldest first, each in its latest version (the last
// chat.update of its ts). Calls the fake refused are left out.
func (s *Server) Messages(channel string) []Message {
	var out []Message
	index := map[string]int{} // ts → position in out
	for _, c := range s.Calls("") {
		if c.TS == "" || c.Param("channel") != channel {
			continue
		}
		switch c.Method {
		case "chat.postMessage":
			index[c.TS] = len(out)
			out = append(out, messageOf(c))
		case "chat.update":
			i, ok := index[c.TS]
			if !ok {
				continue
			}
			m := messageOf(c)
			m.Posted, m.Updates = out[i].Posted, out[i].Updates+1
			out[i] = m
		}
	}
	return out
}

// Channels returns the channels that chat.postMessage posted to, in the
// order of their first post.
func (s *Server) Channels() []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range s.Calls("chat.postMessage") {
		if ch := c.Param("channel"); c.TS != "" && !seen[ch] {
			seen[ch] = true
			out = append(out, ch)
		}
	}
	return out
}

// Ephemeral returns the private messages shown with chat.postEphemeral,
// oldest first.
func (s *Server) Ephemeral() []Message {
	var out []Message
	for _, c := range s.Calls("chat.postEphemeral") {
		if c.TS != "" {
			out = append(out, messageOf(c))
		}
	}
	return out
}

// Responses returns the messages sent to ResponseURL(id), oldest first.
func (s *Server) Responses(id string) []Message {
	var out []Message
	path := "/response/" + id // r.URL.Path is unescaped
	for _, c := range s.Calls("response_url") {
		if c.Path == path {
			out = append(out, messageOf(c))
		}
	}
	return out
}

func messageOf(c Call) Message {
	m := Message{Channel: c.Param("channel"), TS: c.TS, User: c.Param("user"), Text: c.Param("text"), Posted: c.At}
	m.Blocks = DecodeBlocks(c.Param("blocks"))
	if raw, ok := c.JSON["blocks"].([]any); ok && m.Blocks == nil {
		m.Blocks = blockMaps(raw)
	}
	return m
}

// DecodeBlocks decodes a Block Kit blocks array given as JSON; it returns
// nil for anything else.
func DecodeBlocks(s string) []map[string]any {
	var raw []any
	if s == "" || json.Unmarshal([]byte(s), &raw) != nil {
		return nil
	}
	return blockMaps(raw)
}

func blockMaps(raw []any) []map[string]any {
	var out []map[string]any
	for _, b := range raw {
		if m, ok := b.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// fieldRE matches a section field written as "*Key*\nValue".
var fieldRE = regexp.MustCompile(`(?s)^\*([^*\n]+)\*\n(.*)$`)

// Lines renders the message as text, one line per line of Block Kit: the
// header, each section's text and its fields ("Key: Value · …"), each
// context element, and the buttons as "[Claim] [Not a fit]". Mrkdwn is
// left as it is. A message without blocks is its fallback text.
func (m Message) Lines() []string {
	if len(m.Blocks) == 0 {
		if m.Text == "" {
			return nil
		}
		return strings.Split(m.Text, "\n")
	}
	var lines []string
	for _, b := range m.Blocks {
		switch b["type"] {
		case "header":
			lines = append(lines, textOf(b["text"]))
		case "section":
			if t := textOf(b["text"]); t != "" {
				lines = append(lines, strings.Split(t, "\n")...)
			}
			var fields []string
			for _, f := range list(b["fields"]) {
				t := textOf(f)
				if sub := fieldRE.FindStringSubmatch(t); sub != nil {
					t = sub[1] + ": " + strings.ReplaceAll(sub[2], "\n", " ")
				}
				fields = append(fields, strings.ReplaceAll(t, "\n", " "))
			}
			if len(fields) > 0 {
				lines = append(lines, strings.Join(fields, " · "))
			}
		case "context":
			for _, e := range list(b["elements"]) {
				if t := textOf(e); t != "" {
					lines = append(lines, t)
				}
			}
		case "actions":
			var buttons []string
			for _, e := range list(b["elements"]) {
				if em, ok := e.(map[string]any); ok && em["type"] == "button" {
					buttons = append(buttons, "["+textOf(em["text"])+"]")
				}
			}
			if len(buttons) > 0 {
				lines = append(lines, strings.Join(buttons, " "))
			}
		case "divider":
			lines = append(lines, "---")
		case "data_table":
			lines = append(lines, tableLines(b)...)
		case "data_visualization":
			lines = append(lines, chartLines(b)...)
		}
	}
	return lines
}

// tableLines renders a data_table block as aligned columns under its caption.
func tableLines(b map[string]any) []string {
	var rows [][]string
	var widths []int
	for _, r := range list(b["rows"]) {
		var row []string
		for i, c := range list(r) {
			t := textOf(c)
			row = append(row, t)
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(t))
		}
		rows = append(rows, row)
	}
	var lines []string
	if c, _ := b["caption"].(string); c != "" {
		lines = append(lines, c+":")
	}
	for _, row := range rows {
		var cells []string
		for i, t := range row {
			cells = append(cells, t+strings.Repeat(" ", widths[i]-utf8.RuneCountInString(t)))
		}
		lines = append(lines, "  "+strings.TrimRight(strings.Join(cells, "  "), " "))
	}
	return lines
}

// chartLines renders a data_visualization bar or line chart as text bars.
func chartLines(b map[string]any) []string {
	chart, _ := b["chart"].(map[string]any)
	var lines []string
	if t, _ := b["title"].(string); t != "" {
		lines = append(lines, t+" (chart):")
	}
	for _, series := range list(chart["series"]) {
		sm, _ := series.(map[string]any)
		points := list(sm["data"])
		top, width := 0.0, 0
		for _, p := range points {
			pm, _ := p.(map[string]any)
			v, _ := pm["value"].(float64)
			top = max(top, v)
			l, _ := pm["label"].(string)
			width = max(width, utf8.RuneCountInString(l))
		}
		if name, _ := sm["name"].(string); name != "" && len(list(chart["series"])) > 1 {
			lines = append(lines, "  "+name)
		}
		for _, p := range points {
			pm, _ := p.(map[string]any)
			v, _ := pm["value"].(float64)
			l, _ := pm["label"].(string)
			n := 0
			if top > 0 {
				n = int(v / top * 30)
			}
			lines = append(lines, fmt.Sprintf("  %s%s %s %g", l, strings.Repeat(" ", width-utf8.RuneCountInString(l)), strings.Repeat("█", n), v))
		}
	}
	return lines
}

// textOf returns the text of a text object (or of an element holding
// one); in rich text, a user element is written "<@U123>" as in mrkdwn.
func textOf(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	if m["type"] == "user" {
		id, _ := m["user_id"].(string)
		return "<@" + id + ">"
	}
	if t, ok := m["text"].(string); ok {
		return t
	}
	if elems := list(m["elements"]); len(elems) > 0 {
		var b strings.Builder
		for _, e := range elems {
			b.WriteString(textOf(e))
		}
		return b.String()
	}
	return textOf(m["text"])
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}
