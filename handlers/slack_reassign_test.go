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

// TestSlackReassignToSomeoneWhoMayNotSeeLeads: a manager's Reassign form
// offers Slack's user picker, which lists every user the manager can see:
// guests, Slack Connect users of a shared channel, marketing. Handoff must
// not make one of them the owner: the owner's direct message carries the
// lead's contact details, which README's "who can see what" keeps from
// guests and outsiders (and from anyone outside the sales channel), and
// such an owner could not work the lead either (every click of theirs is
// refused). The submission must be refused on the form, and no direct
// message sent.
func TestSlackReassignToSomeoneWhoMayNotSeeLeads(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		r := newSlackRig(t, s, nil)
		r.slack.SetUser("UGUEST", slacktest.User{Restricted: true})
		r.slack.SetUser("UEXT", slacktest.User{TeamID: "T0OTHER", Stranger: true})
		for _, to := range []string{"UGUEST", "UEXT", "UMARKETING"} {
			t.Run(to, func(t *testing.T) {
				l := r.announced(t, "reassign-"+strings.ToLower(to))
				if status, _ := r.click(t, "UREP", bot.ActionClaim, l.ID); status != http.StatusOK {
					t.Fatal(status)
				}
				r.drain(t)
				dms := len(r.slack.Calls("conversations.open"))
				state := fmt.Sprintf(`{"lead":%d,"channel":%q}`, l.ID, salesChannel)
				status, body := r.send(t, "/slack/interactions", signingSecret, time.Now(),
					slacktest.SubmitPayload("UBOSS", bot.ActionReassign, state, map[string]string{"user:owner": to}))
				r.drain(t)
				if got := r.lead(t, l.ID); got.Owner.UserID != "UREP" {
					t.Errorf("reassign to %s: owner is now %s (HTTP %d %s); want it refused and UREP to keep the lead", to, got.Owner.UserID, status, body)
				}
				if !strings.Contains(body, `"errors"`) || !strings.Contains(body, `"owner"`) {
					t.Errorf("reassign to %s answered %d %q; want an error on the owner input", to, status, body)
				}
				for _, c := range r.slack.Calls("conversations.open")[dms:] {
					if c.Param("users") == to {
						t.Errorf("the lead's contact details were sent to %s in a direct message", to)
					}
				}
			})
		}
	})
}
