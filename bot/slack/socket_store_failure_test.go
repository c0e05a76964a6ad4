package slack_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestSocketModeReassignWhenTheStoreFails: a Reassign form sent over
// Socket Mode whose check of the new owner reads the sales channel's
// members shared through a store that fails (its database closed) is a
// failed request, as any internal error is over Socket Mode: logged once
// by the runner at error level with the store's error and acknowledged
// empty; the manager is not told that Slack did not answer, and the lead
// keeps its owner. Before, the store's failure was a bot.RoleUnknownError:
// the form was answered "could not check the new owner just now (Slack
// did not answer)", logged as a warning.
func TestSocketModeReassignWhenTheStoreFails(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		r := newSocketRig(t, s, appToken)
		r.slack.SetGroup("SMANAGERS", "UBOSS")
		r.members.Share(storagetest.Closed(t, s.Dialect()))
		l := r.announced(t, "store-fails")
		r.start(t)
		c := r.conn(t, 1)
		// The manager, by the user group, opens the form whatever the
		// sales channel's members.
		open, err := c.Interactive(slacktest.ClickPayload("UBOSS", salesChannel, "1700000000.000001", bot.ActionReassign, fmt.Sprint(l.ID), r.slack.ResponseURL("UBOSS")))
		if err != nil {
			t.Fatal(err)
		}
		r.acked(t, open, 1)
		r.drain(t)
		env, err := c.Interactive(slacktest.SubmitPayload("UBOSS", bot.ActionReassign, fmt.Sprintf(`{"lead":%d}`, l.ID), map[string]string{"user:owner": "UANN"}))
		if err != nil {
			t.Fatal(err)
		}
		ack := r.acked(t, env, 1)[0].Payload
		if a, err := slacktest.ParseViewAnswer(ack); err != nil || a.ResponseAction != "" {
			t.Errorf("acknowledged %s (%v), want an empty acknowledgement", ack, err)
		}
		r.drain(t)
		for _, call := range append(r.slack.Calls("chat.postEphemeral"), r.slack.Calls("response_url")...) {
			if text := call.Param("text"); strings.Contains(text, "did not answer") {
				t.Errorf("the manager was told %q", text)
			}
		}
		if got := r.lead(t, l.ID); !got.Owner.IsZero() {
			t.Errorf("lead owned by %+v, want nobody", got.Owner)
		}
		if warned := r.log.Lines("is not known"); len(warned) != 0 {
			t.Errorf("logged %q, a warning that Slack could not tell", warned)
		}
		failed := r.log.Lines("database is closed")
		if len(failed) != 1 || !strings.Contains(failed[0], "level=ERROR") || !strings.Contains(failed[0], "request failed") {
			t.Errorf("logged %q, want one failed request naming the store's error\n%s", failed, r.log.String())
		}
	})
}
