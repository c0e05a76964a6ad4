package handlers_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// An event naming a user, channel or user group by an id longer than
// handoff.MaxChatIDLen is refused 400 naming the field, on both
// databases alike: a deactivated user's id over 300 characters was
// answered 500 on PostgreSQL (the member change's column), and SQLite kept
// it. One at the limit is handled.
func TestSlackEventIDSizes(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		r := newSlackRig(t, s, nil)
		atLimit := "U" + strings.Repeat("P", handoff.MaxChatIDLen-1)
		justOver := atLimit + "P"
		far := "U" + strings.Repeat("P", 400)
		deactivated := func(eventID, user string) string {
			return `{"type":"event_callback","team_id":"T0001","event_id":"` + eventID + `","event_time":1700000000,"event":{"type":"user_change","user":{"id":"` +
				user + `","team_id":"T0001","deleted":true}}}`
		}
		for _, tt := range []struct {
			name, body, field string // field "" for an event handled
		}{
			{"a deactivated user at the limit", deactivated("EvS1", atLimit), ""},
			{"a deactivated user just over", deactivated("EvS2", justOver), "event.user.id"},
			{"a deactivated user far over", deactivated("EvS3", far), "event.user.id"},
			{"a user leaving the sales channel far over", slacktest.ChannelEvent("EvS4", "member_left_channel", far, salesChannel), "event.user"},
			{"a channel archived far over", slacktest.ChannelEvent("EvS5", "channel_archive", "UREP", "C"+strings.Repeat("P", 400)), "event.channel"},
			{"a managers' group changed far over", `{"type":"event_callback","team_id":"T0001","event_id":"EvS6","event_time":1700000000,"event":{"type":"subteam_members_changed","subteam_id":"S1","added_users":["UREP","` +
				far + `"]}}`, "event.added_users[1]"},
		} {
			status, body := r.send(t, "/slack/events", signingSecret, time.Now(), tt.body)
			switch {
			case tt.field == "" && status != http.StatusOK:
				t.Errorf("%s: %d %s, want 200", tt.name, status, body)
			case tt.field != "" && (status != http.StatusBadRequest || !strings.Contains(body, tt.field) || !strings.Contains(body, "longer than 300 characters")):
				t.Errorf("%s: %d %s, want 400 naming %s", tt.name, status, body, tt.field)
			}
		}
	})
}
