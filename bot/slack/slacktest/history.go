package slacktest

import (
	"encoding/json"
	"slices"
	"strconv"
)

// DenyHistory makes conversations.history answer missing_scope, as Slack
// does for an app not granted channels:history (or groups:history).
func (s *Server) DenyHistory() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.noHistory = true
}

// history answers conversations.history from the messages chat.postMessage
// posted to the call's channel: newest first, those from oldest on
// (inclusive), limit a page with a cursor to the next, and each message's
// metadata when include_all_metadata is 1. The caller holds s.mu.
func (s *Server) history(c Call) map[string]any {
	if s.noHistory {
		return map[string]any{"ok": false, "error": "missing_scope", "needed": "channels:history", "provided": "chat:write"}
	}
	ch := c.Param("channel")
	oldest, _ := strconv.ParseFloat(c.Param("oldest"), 64)
	var msgs []map[string]any
	for _, p := range slices.Backward(s.calls) {
		if p.Method != "chat.postMessage" || p.TS == "" || p.Param("channel") != ch {
			continue
		}
		if ts, _ := strconv.ParseFloat(p.TS, 64); ts < oldest {
			continue
		}
		m := map[string]any{"type": "message", "ts": p.TS, "user": BotUserID, "bot_id": "BBOT", "text": p.Param("text")}
		var meta map[string]any
		if c.Param("include_all_metadata") == "1" && json.Unmarshal([]byte(p.Param("metadata")), &meta) == nil {
			m["metadata"] = meta
		}
		msgs = append(msgs, m)
	}
	from, _ := strconv.Atoi(c.Param("cursor"))
	limit, _ := strconv.Atoi(c.Param("limit"))
	if limit <= 0 {
		limit = 100
	}
	from = min(from, len(msgs))
	to := min(from+limit, len(msgs))
	next := ""
	if to < len(msgs) {
		next = strconv.Itoa(to)
	}
	return map[string]any{"ok": true, "messages": msgs[from:to], "has_more": next != "",
		"response_metadata": map[string]any{"next_cursor": next}}
}
