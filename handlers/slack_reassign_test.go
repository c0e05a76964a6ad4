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

// TestSlackReassignWhenTheNewOwnerCannotBeChecked: a manager's Reassign
// form whose new owner Slack cannot place just then (users.info failed or
// was rate-limited; the managers' user group could not be read for an
// owner outside the sales channel) is answered 200 with an error on the
// owner input saying that Handoff could not check the new owner and that
// nothing was saved, and is logged as a warning; the lead keeps its owner
// and nobody is sent its contact details. The same form sent again once
// Slack answers reassigns the lead. Before, users.info's failure was
// answered 500, which Slack shows as its bare "We had some trouble
// connecting" (Socket Mode acknowledged it empty, closing the form), and
// the group's as "could not check your role", of the manager who sent it.
func TestSlackReassignWhenTheNewOwnerCannotBeChecked(t *testing.T) {
	tests := []struct {
		name, manager, owner string
		fail                 func(r *slackRig) // after the manager opened the form
	}{
		{name: "UsersInfoFailed", manager: "UBOSS", owner: "UNEW",
			fail: func(r *slackRig) { r.slack.ErrorNext("users.info", 1, "fatal_error") }},
		{name: "UsersInfoRateLimited", manager: "UBOSS", owner: "UNEW",
			fail: func(r *slackRig) { r.slack.FailNext("users.info", 1, http.StatusTooManyRequests, 30) }},
		{name: "UsersInfoUnavailable", manager: "UBOSS", owner: "UNEW",
			fail: func(r *slackRig) { r.slack.FailNext("users.info", 1, http.StatusServiceUnavailable, 0) }},
		// UOWNER, in the sales channel and a manager, opens no form first
		// (the group would be read then): the group is first read for
		// UBOSS, a manager outside the sales channel.
		{name: "ManagersGroupUnread", manager: "UOWNER", owner: "UBOSS",
			fail: func(r *slackRig) { r.slack.ErrorNext("usergroups.users.list", 1, "internal_error") }},
	}
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := newSlackRig(t, s, nil)
				r.slack.SetGroup("SMANAGERS", "UBOSS", "UOWNER")
				l := r.announced(t, fmt.Sprintf("owner-unknown-%d", i))
				if status, _ := r.click(t, "UREP", bot.ActionClaim, l.ID); status != http.StatusOK {
					t.Fatal(status)
				}
				if tt.manager == "UBOSS" {
					// The manager opens the form: their own users.info
					// is read and kept.
					if status, body := r.click(t, tt.manager, bot.ActionReassign, l.ID); status != http.StatusOK {
						t.Fatalf("open the form: HTTP %d %s", status, body)
					}
				}
				r.drain(t)
				tt.fail(r)
				dms := len(r.slack.Calls("conversations.open"))
				state := fmt.Sprintf(`{"lead":%d,"channel":%q}`, l.ID, salesChannel)
				form := slacktest.SubmitPayload(tt.manager, bot.ActionReassign, state, map[string]string{"user:owner": tt.owner})
				status, body := r.send(t, "/slack/interactions", signingSecret, time.Now(), form)
				if status != http.StatusOK {
					t.Fatalf("HTTP %d %s, want 200 and an error on the owner input", status, body)
				}
				if err := slacktest.OwnerUnknownAnswered([]byte(body), r.logs.String(), tt.owner); err != nil {
					t.Fatal(err)
				}
				r.drain(t)
				if got := r.lead(t, l.ID); got.Owner.UserID != "UREP" {
					t.Fatalf("owner is now %s, want UREP to keep the lead", got.Owner.UserID)
				}
				for _, c := range r.slack.Calls("conversations.open")[dms:] {
					if c.Param("users") == tt.owner {
						t.Fatalf("the lead's contact details were sent to %s, whom Slack could not place", tt.owner)
					}
				}

				// Slack answers again: the same form goes through.
				if status, body := r.send(t, "/slack/interactions", signingSecret, time.Now(), form); status != http.StatusOK || body != "" {
					t.Fatalf("sent again: HTTP %d %q, want 200 and an empty answer", status, body)
				}
				r.drain(t)
				if got := r.lead(t, l.ID); got.Owner.UserID != tt.owner {
					t.Fatalf("sent again: owner is %s, want %s", got.Owner.UserID, tt.owner)
				}
			})
		}
	})
}
