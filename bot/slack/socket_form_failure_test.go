package slack_test

import (
	"cmp"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	slackbot "github.com/handoff/handoff/bot/slack"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestSocketModeFormNotOpened: a Not a fit click over Socket Mode, the
// click code HTTP runs too, whose reasons form views.open does not open
// is acknowledged empty; its user is told privately why and what to do,
// through the route named (chat.postEphemeral in the click's channel, or
// the click's response_url, which needs no token, when Slack refused the
// bot token or takes no Web API calls while it moves the workspace), and
// nothing else; the failure is logged once as "slack: open form" at the
// level named (a warning for Slack not answering: its failure, or no
// answer within SLACK_TIMEOUT; for an expired trigger and a trigger
// already exchanged, Slack's timing; and for the move), with Slack's
// answer, and the lead is left as it was. The expired trigger,
// the trigger already exchanged, the refused token and the workspace
// Slack is moving into its organization were answered "the form could
// not be opened" in the channel and logged as errors before.
func TestSocketModeFormNotOpened(t *testing.T) {
	const formFailed = "slack: open form"
	noAnswer := bot.FormUnanswered(slackbot.Name)
	// slackError and serverError make views.open's next answer a Slack
	// error code, or a 500.
	slackError := func(code string) func(*testing.T, *slacktest.Server) {
		return func(_ *testing.T, f *slacktest.Server) { f.ErrorNext("views.open", 1, code) }
	}
	serverError := func(_ *testing.T, f *slacktest.Server) {
		f.FailNext("views.open", 1, http.StatusInternalServerError, 0)
	}
	tests := []struct {
		name string
		// timeout is SLACK_TIMEOUT; 0 for slacktest.ClientTimeout.
		timeout time.Duration
		fail    func(t *testing.T, f *slacktest.Server)
		level   string // of the log line
		names   string // in the log line: Slack's answer
		told    string // the user's notice
		via     string // the route of the notice: the fake's method
	}{
		{"SlackFailed", 0, slackError("internal_error"), "WARN", "internal_error", noAnswer, "chat.postEphemeral"},
		{"ServerError", 0, serverError, "WARN", "500", noAnswer, "chat.postEphemeral"},
		// Slack never answers views.open: the client gives up after
		// SLACK_TIMEOUT (short here, so that the test does not wait the
		// rig's), and the fake answers only once it has.
		{"HeldPastTheClientTimeout", time.Second, func(t *testing.T, f *slacktest.Server) {
			_, gaveUp, release := f.Hold("views.open")
			done := make(chan struct{})
			t.Cleanup(func() { close(done); release() })
			go func() {
				select {
				case <-gaveUp: // the client gave up: Slack never answered
					release()
				case <-done:
				}
			}()
		}, "WARN", "Client.Timeout exceeded", noAnswer, "chat.postEphemeral"},
		{"ModalRefused", 0, slackError("invalid_blocks"), "ERROR", "invalid_blocks", bot.FormNotOpened, "chat.postEphemeral"},
		// Slack's timing: the form was asked for after the 3 s a
		// trigger lasts.
		{"ExpiredTrigger", 0, slackError("expired_trigger_id"), "WARN", "expired_trigger_id", slackbot.FormExpired, "chat.postEphemeral"},
		// Slack's timing: a form was opened with the click's trigger
		// already (the click handled twice).
		{"TriggerUsed", 0, slackError("exchanged_trigger_id"), "WARN", "exchanged_trigger_id", slackbot.FormTriggerUsed, "chat.postEphemeral"},
		// Slack refuses the bot token: the response_url needs none.
		{"TokenRevoked", 0, slackError("token_revoked"), "ERROR", "token_revoked", bot.FormAccessRefused(slackbot.Name), "response_url"},
		// Slack moves the workspace into its Enterprise organization:
		// it takes no Web API calls until that is done.
		{"MovingToOrg", 0, slackError("team_added_to_org"), "WARN", "team_added_to_org", bot.FormPlatformBusy(slackbot.Name, slackbot.MovingToOrg), "response_url"},
	}
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := newSocketRigOn(t, s, appToken, slacktest.New(token), nil, cmp.Or(tt.timeout, slacktest.ClientTimeout))
				r.slack.SetGroup("SMANAGERS", "UBOSS")
				l := r.announced(t, fmt.Sprintf("sock-form-%d", i))
				tt.fail(t, r.slack)
				r.start(t)
				c := r.conn(t, 1)
				id, err := c.Interactive(slacktest.ClickPayload("UREP", salesChannel, "1700000000.000001", bot.ActionNotAFit, fmt.Sprint(l.ID), r.slack.ResponseURL("UREP")))
				if err != nil {
					t.Fatal(err)
				}
				if ack := r.acked(t, id, 1)[0]; ack.Payload != nil {
					t.Fatalf("ack = %s, want an empty ack", ack.Payload)
				}
				r.drain(t)
				// A held views.open is recorded once the fake answers it.
				if opens := r.slack.Wait("views.open", 1, ackPatience); len(opens) != 1 || opens[0].Param("trigger_id") != "trigger-UREP" {
					t.Fatalf("views.open calls = %+v, want one with the click's trigger; log:\n%s", opens, r.log.String())
				}
				var told []string
				for _, via := range []string{"chat.postEphemeral", "response_url"} {
					for _, c := range r.slack.Calls(via) {
						told = append(told, via+": "+c.Param("text"))
					}
				}
				if want := tt.via + ": " + tt.told; len(told) != 1 || told[0] != want {
					t.Errorf("the user was told %q, want only %q", told, want)
				}
				if eph := r.slack.Calls("chat.postEphemeral"); len(eph) == 1 && (eph[0].Param("user") != "UREP" || eph[0].Param("channel") != salesChannel) {
					t.Errorf("private notice to %s in %s, want UREP in %s", eph[0].Param("user"), eph[0].Param("channel"), salesChannel)
				}
				lines := r.log.Lines(formFailed)
				if len(lines) != 1 || !strings.Contains(lines[0], "level="+tt.level) || !strings.Contains(lines[0], tt.names) ||
					!strings.Contains(lines[0], "form="+bot.ActionNotAFit) || !strings.Contains(lines[0], "user=UREP") {
					t.Errorf("log lines %q = %q, want one at %s naming %q, the form and the user; log:\n%s", formFailed, lines, tt.level, tt.names, r.log.String())
				}
				if failed := r.log.Lines("request failed"); len(failed) != 0 {
					t.Errorf("the click was logged as failed: %q", failed)
				}
				if got := r.lead(t, l.ID); got.Stage != handoff.StageSQL || !got.Owner.IsZero() {
					t.Errorf("lead %s owned by %+v, want it as it was", got.Stage, got.Owner)
				}
			})
		}
	})
}
