package handlers_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestSlackRequestsWithControlCharacters sends signed requests whose ids
// and texts hold a NUL, which PostgreSQL cannot store in text: none is
// answered with a 5xx, on both databases; a user_change that cannot be
// stored is a 400 naming the field, and the rep's state is left alone.
func TestSlackRequestsWithControlCharacters(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		r := newSlackRig(t, s, nil)
		event := func(id, user string) string {
			return fmt.Sprintf(`{"type":"event_callback","team_id":"T0001","event_id":%q,"event_time":1700000000,"event":{"type":"user_change","user":%s}}`, id, user)
		}
		tests := []struct{ name, path, body, field string }{
			{"event id", "/slack/events", event("Ev\x00", `{"id":"UREP7","team_id":"T0001","deleted":false,"profile":{}}`), ""},
			{"status text", "/slack/events", event("EvNUL2", `{"id":"UREP7","team_id":"T0001","deleted":false,"profile":{"status_text":"Out\u0000","status_emoji":":palm_tree:","status_expiration":0}}`), "event.user.profile.status_text"},
			{"user id", "/slack/events", event("EvNUL3", `{"id":"UR\u0000P7","team_id":"T0001","deleted":true,"profile":{}}`), "event.user.id"},
			{"command text", "/slack/commands", url.Values{"command": {"/leads"}, "text": {"why x\x00"}, "user_id": {"UREP"}, "channel_id": {"C1"}, "response_url": {r.slack.ResponseURL("f")}}.Encode(), ""},
			{"command user", "/slack/commands", url.Values{"command": {"/leads"}, "text": {"mine"}, "user_id": {"U\x00"}, "channel_id": {"C1"}, "response_url": {r.slack.ResponseURL("f")}}.Encode(), ""},
			{"click value", "/slack/interactions", slacktest.ClickPayload("UREP", salesChannel, "1700000000.000001", "lead.claim", "1\x00", r.slack.ResponseURL("UREP")), ""},
			{"click user", "/slack/interactions", slacktest.ClickPayload("U\x00", salesChannel, "1700000000.000001", "lead.claim", "1", r.slack.ResponseURL("UREP")), ""},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				status, body := r.send(t, tc.path, signingSecret, time.Now(), tc.body)
				if status >= 500 {
					t.Fatalf("status %d: %s", status, body)
				}
				if tc.field != "" && (status != 400 || !strings.Contains(body, tc.field)) {
					t.Fatalf("status %d, %s; want 400 naming %s", status, body, tc.field)
				}
			})
		}
		states, err := s.RepStates(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if len(states) != 0 {
			t.Errorf("rep states after refused user_change: %+v", states)
		}
	})
}
