package handlers_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// A click on a lead button whose value is not a lead id (the cards set it
// to the lead's id) is refused 400 naming actions[0].value before Slack is
// asked anything (the workspace check's users.info was called first); a
// card's own value is handled. On both databases.
func TestSlackClickLeadValue(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		r := newSlackRig(t, s, nil)
		l := r.announced(t, "click-value")
		for i, tt := range []struct {
			name, value string
			ok          bool
		}{
			{"not a number", "abc", false},
			{"zero", "0", false},
			{"negative", "-4", false},
			{"empty", "", false},
			{"an id and more", fmt.Sprint(l.ID) + ":x", false},
			{"too large", "99999999999999999999", false},
			{"the card's value", fmt.Sprint(l.ID), true},
		} {
			user := fmt.Sprintf("UREP%d", i) // each a user the workspace check has not seen
			before := len(r.slack.Calls(""))
			status, body := r.send(t, "/slack/interactions", signingSecret, time.Now(),
				slacktest.ClickPayload(user, salesChannel, "1700000000.000001", bot.ActionClaim, tt.value, r.slack.ResponseURL(user)))
			if tt.ok {
				if status != http.StatusOK {
					t.Errorf("%s: %d %s, want 200", tt.name, status, body)
				}
				continue
			}
			if status != http.StatusBadRequest || !strings.Contains(body, "actions[0].value") {
				t.Errorf("%s: %d %s, want 400 naming actions[0].value", tt.name, status, body)
			}
			if calls := r.slack.Calls("")[before:]; len(calls) != 0 {
				t.Errorf("%s: Slack was called %d times (first %s), want none", tt.name, len(calls), calls[0].Method)
			}
		}
	})
}
