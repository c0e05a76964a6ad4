package handlers_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestSlackClickWhenTheRoleCannotBeRead: a click or form whose user Slack
// cannot place (the sales channel's members or the managers' user group
// cannot be read) does nothing, is answered 200 (an error would show
// Slack's bare "something went wrong"), and the user is told privately
// what failed and to try again; once Slack answers again the same click
// works.
func TestSlackClickWhenTheRoleCannotBeRead(t *testing.T) {
	tests := []struct {
		name, user, failing string
		form                bool
	}{
		{"member list fails", "UREP", "conversations.members", false},
		{"managers' group fails", "UOUT", "usergroups.users.list", false},
		{"form, member list fails", "UREP", "conversations.members", true},
	}
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := newSlackRig(t, s, nil)
				l := r.announced(t, fmt.Sprintf("unknown-%d", i))
				r.slack.ErrorNext(tt.failing, 1000, "internal_error")
				var status int
				var body string
				if tt.form {
					state := fmt.Sprintf(`{"lead":%d,"channel":%q}`, l.ID, salesChannel)
					status, body = r.send(t, "/slack/interactions", signingSecret, time.Now(),
						slacktest.SubmitPayload(tt.user, bot.ActionNotAFit, state, map[string]string{"select:reason": "outside our segment"}))
				} else {
					status, body = r.click(t, tt.user, bot.ActionClaim, l.ID)
				}
				if status != http.StatusOK {
					t.Fatalf("HTTP %d %s, want 200", status, body)
				}
				r.drain(t)
				if got := r.lead(t, l.ID); got.Stage != handoff.StageSQL || !got.Owner.IsZero() {
					t.Fatalf("lead %s owned by %+v, want an SQL nobody claimed", got.Stage, got.Owner)
				}
				told := 0
				for _, text := range append(ephemeralsTo(r.slack.Calls("chat.postEphemeral"), tt.user), body) {
					if strings.Contains(text, "could not check your role") && strings.Contains(text, "try again in a minute") {
						told++
					}
				}
				if told != 1 {
					t.Fatalf("the user was told %d times, want once; answer %s, ephemerals %q", told, body, ephemeralsTo(r.slack.Calls("chat.postEphemeral"), tt.user))
				}
				if !strings.Contains(r.logs.String(), "is not known") {
					t.Fatalf("the refusal was not logged: %s", r.logs.String())
				}

				r.slack.Recover(tt.failing)
				r.slack.SetGroup("SMANAGERS", "UBOSS", "UOUT") // a manager may claim too
				if status, body := r.click(t, tt.user, bot.ActionClaim, l.ID); status != http.StatusOK {
					t.Fatalf("click once Slack answers: HTTP %d %s", status, body)
				}
				r.drain(t)
				if got := r.lead(t, l.ID); got.Owner.UserID != tt.user {
					t.Fatalf("once Slack answers the lead is owned by %+v, want %s", got.Owner, tt.user)
				}
			})
		}
	})
}
