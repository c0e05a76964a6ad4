package handlers_test

import (
	"encoding/json"
	"testing"

	"github.com/handoff/handoff"

	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestTeamsActivityWithControlCharacters sends authenticated activities
// whose names and ids hold a NUL, which PostgreSQL cannot store in text:
// each is answered without a 5xx on both databases, a refused
// conversation with a 400 naming the field, and nothing of it is stored.
func TestTeamsActivityWithControlCharacters(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		e := newTeamsEnv(t, s, nil)
		e.install()
		tests := []struct {
			name     string
			activity func() map[string]any
			field    string // the field a 400 names; "" when the activity is handled
		}{
			{"team name", func() map[string]any {
				a := e.installActivity()
				a["channelData"].(map[string]any)["team"].(map[string]any)["name"] = "Sales\x00Team"
				return a
			}, "channelData.team.name"},
			{"channel name", func() map[string]any { return e.team().ChannelCreated("19:nul@thread.tacv2", "Sa\x00les") }, "channelData.channel.name"},
			{"channel id", func() map[string]any { return e.team().ChannelCreated("19:n\x00l@thread.tacv2", "Nul") }, "channelData.channel.id"},
			{"user name", func() map[string]any {
				a := e.activity("message", "29:nul", "Ri\x00ta", "a:nul-dm")
				a["text"] = "leads mine"
				return a
			}, ""},
			{"user id", func() map[string]any {
				a := e.activity("message", "29:n\x00l", "Rita", "a:nul-dm2")
				a["text"] = "leads mine"
				return a
			}, ""},
			{"text", func() map[string]any {
				a := e.activity("message", ritaID, "Rita", salesID)
				a["text"] = "<at>Handoff</at> leads \x00"
				return a
			}, ""},
			{"message id", func() map[string]any {
				a := e.activity("message", ritaID, "Rita", salesID)
				a["id"], a["text"] = "act-\x00", "<at>Handoff</at> leads mine"
				return a
			}, ""},
			{"click id", func() map[string]any {
				a := e.clickActivity(ritaID, "Rita", map[string]any{"action": "lead.claim", "lead": "1"})
				a["id"] = "act-\x00"
				return a
			}, ""},
			{"click", func() map[string]any {
				return e.clickActivity(ritaID, "Rita", map[string]any{"action": "lead.claim", "lead": "1\x00"})
			}, ""},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				status, body := e.post(tc.activity(), e.token())
				if status >= 500 {
					t.Fatalf("status %d: %s", status, body)
				}
				if tc.field == "" {
					return
				}
				var ans struct{ Fields map[string]string }
				if status != 400 || json.Unmarshal(body, &ans) != nil || ans.Fields[tc.field] == "" {
					t.Fatalf("status %d, %s; want 400 naming %s", status, body, tc.field)
				}
			})
		}
		if c, err := s.TeamsConversation(t.Context(), teamID); err != nil || c.TeamName != "Sales Team" {
			t.Errorf("team after refused rename = %+v, %v", c, err)
		}
		if _, err := s.TeamsConversation(t.Context(), "Nul"); handoff.ErrorCode(err) != handoff.ENOTFOUND {
			t.Errorf("refused channel: %v, want not found", err)
		}
	})
}
