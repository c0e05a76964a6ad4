package slack_test

import (
	"fmt"
	"testing"

	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestSocketModeReassignWhenTheNewOwnerCannotBeChecked: a Reassign form
// sent over Socket Mode whose new owner's users.info fails is
// acknowledged with an error on the owner input (Handoff could not check
// the new owner, nothing was saved), logged once as a warning, and the
// lead keeps its owner; the same form sent again once Slack answers
// reassigns it. Before, the App failed with the lookup's error, which the
// runner logged as a failed request and acknowledged empty: the form
// closed with nothing said, and nothing saved.
func TestSocketModeReassignWhenTheNewOwnerCannotBeChecked(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		r := newSocketRig(t, s, appToken)
		r.slack.SetGroup("SMANAGERS", "UBOSS")
		l := r.announced(t, "owner-unknown")
		r.start(t)
		c := r.conn(t, 1)
		r.acked(t, r.claim(t, c, "UREP", l), 1)
		// The manager opens the form: their own users.info is read and kept.
		open, err := c.Interactive(slacktest.ClickPayload("UBOSS", salesChannel, "1700000000.000001", bot.ActionReassign, fmt.Sprint(l.ID), r.slack.ResponseURL("UBOSS")))
		if err != nil {
			t.Fatal(err)
		}
		r.acked(t, open, 1)
		r.drain(t)
		r.slack.ErrorNext("users.info", 1, "fatal_error")
		form := slacktest.SubmitPayload("UBOSS", bot.ActionReassign, fmt.Sprintf(`{"lead":%d}`, l.ID), map[string]string{"user:owner": "UANN"})
		env, err := c.Interactive(form)
		if err != nil {
			t.Fatal(err)
		}
		if err := slacktest.OwnerUnknownAnswered(r.acked(t, env, 1)[0].Payload, r.log.String(), "UANN"); err != nil {
			t.Fatal(err)
		}
		r.drain(t)
		if got := r.lead(t, l.ID); got.Owner.UserID != "UREP" {
			t.Fatalf("owner is now %s, want UREP to keep the lead", got.Owner.UserID)
		}
		if failed := r.log.Lines("request failed"); len(failed) != 0 {
			t.Fatalf("the runner logged %q, want the App's warning alone", failed)
		}

		// Slack answers again: the same form goes through.
		again, err := c.Interactive(form)
		if err != nil {
			t.Fatal(err)
		}
		if a, err := slacktest.ParseViewAnswer(r.acked(t, again, 1)[0].Payload); err != nil || a.ResponseAction != "" {
			t.Fatalf("sent again: acknowledged %+v (%v), want an empty acknowledgement", a, err)
		}
		r.drain(t)
		if got := r.lead(t, l.ID); got.Owner.UserID != "UANN" {
			t.Fatalf("sent again: owner is %s, want UANN", got.Owner.UserID)
		}
	})
}
