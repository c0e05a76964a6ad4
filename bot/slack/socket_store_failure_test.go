package slack_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/handoff/handoff"
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

// TestSocketModeAccountCheckWhenTheStoreFails: a command, a click and a
// form sent over Socket Mode each first check that their user is a full
// member of the workspace (Workspace.Check), which reads the users'
// changes the replicas share through the store. When that read fails
// (its database closed), Slack answered nothing wrong: each is answered
// as an internal error is on its path, logged once at error level with the
// store's error: the command acknowledged with "Sorry, `/funnel` failed"
// ("slack: command failed"), the click and the form acknowledged empty
// ("request failed"). The user is not told that their Slack account could
// not be checked. Before, they were ("Sorry, I could not check your Slack
// account just now"), in the command's and the form's acknowledgement and
// privately after the click, and it was logged as Slack's failure.
func TestSocketModeAccountCheckWhenTheStoreFails(t *testing.T) {
	tests := []struct {
		name    string
		send    func(r *socketRig, c *slacktest.SocketConn, lead int64) (string, error)
		wantAck string // in the acknowledgement; "" for an empty one
		wantLog string // in the one line naming the store's error
	}{
		{"Command", func(r *socketRig, c *slacktest.SocketConn, _ int64) (string, error) {
			return c.SlashCommand(slacktest.CommandBody("UREP", salesChannel, "/funnel", "month", r.slack.ResponseURL("UREP")))
		}, "Sorry, `/funnel` failed. Please try again.", "slack: command failed"},
		{"Click", func(r *socketRig, c *slacktest.SocketConn, lead int64) (string, error) {
			return c.Interactive(slacktest.ClickPayload("UREP", salesChannel, "1700000000.000001", bot.ActionClaim, fmt.Sprint(lead), r.slack.ResponseURL("UREP")))
		}, "", "request failed"},
		{"Form", func(r *socketRig, c *slacktest.SocketConn, lead int64) (string, error) {
			return c.Interactive(slacktest.SubmitPayload("UREP", bot.ActionNotAFit, fmt.Sprintf(`{"lead":%d}`, lead), map[string]string{"reason": "spam"}))
		}, "", "request failed"},
	}
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := newSocketRig(t, s, appToken)
				r.workspace.Share(storagetest.Closed(t, s.Dialect()))
				l := r.announced(t, fmt.Sprintf("account-store-%d", i))
				r.start(t)
				env, err := tt.send(r, r.conn(t, 1), l.ID)
				if err != nil {
					t.Fatal(err)
				}
				ack := r.acked(t, env, 1)[0].Payload
				empty := len(ack) == 0 || string(ack) == "null"
				switch {
				case tt.wantAck == "" && !empty:
					t.Errorf("acknowledged %s, want an empty acknowledgement", ack)
				case tt.wantAck != "" && !strings.Contains(string(ack), tt.wantAck):
					t.Errorf("acknowledged %s, want %q", ack, tt.wantAck)
				}
				r.drain(t)
				told := []string{string(ack)}
				for _, call := range append(r.slack.Calls("chat.postEphemeral"), r.slack.Calls("response_url")...) {
					told = append(told, call.Param("text"))
				}
				if all := strings.Join(told, "\n"); strings.Contains(all, "Slack account") {
					t.Errorf("the user was told %q, that Slack failed", told)
				}
				if got := r.lead(t, l.ID); got.Stage != handoff.StageSQL || !got.Owner.IsZero() {
					t.Errorf("lead %s owned by %+v, want an SQL nobody owns", got.Stage, got.Owner)
				}
				failed := r.log.Lines("database is closed")
				if len(failed) != 1 || !strings.Contains(failed[0], "level=ERROR") || !strings.Contains(failed[0], tt.wantLog) {
					t.Errorf("logged %q, want one error %q naming the store's error\n%s", failed, tt.wantLog, r.log.String())
				}
			})
		}
	})
}
