package slacktest

import (
	"encoding/json"
	"regexp"
	"strings"
	"time"
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
	// ReplaceOriginal is set on a response_url post that replaces the
	// answer given before through the same URL.
	ReplaceOriginal bool
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

// FirstPosts returns the messages posted to channel with
// chat.postMessage, oldest first, each as it was posted, before any
// chat.update replaced it.
func (s *Server) FirstPosts(channel string) []Message {
	var out []Message
	for _, c := range s.Calls("chat.postMessage") {
		if c.TS != "" && c.Param("channel") == channel {
			out = append(out, messageOf(c))
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
	m.ReplaceOriginal, _ = c.JSON["replace_original"].(bool)
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
