package handlers_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"testing"

	"github.com/handoff/handoff/bot"
	slackbot "github.com/handoff/handoff/bot/slack"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestSlackFormNotOpenedIsToldToTheUser: a signed Not a fit click whose
// form Slack refused to open tells its user why, privately, and what to
// do. views.open answered expired_trigger_id (the form was asked for
// after the 3 s a click's trigger lasts: Slack's timing) is a warning,
// and the user is told in the click's channel (chat.postEphemeral) to
// click again; so is exchanged_trigger_id (a form was opened with the
// click's trigger already: the click handled twice), and the user is told
// that the form may be open already, and to click again if they do not
// see it. An auth failure (Slack refuses the bot token) is an error for
// an admin to mend, and the user is told through the click's
// response_url, which needs no token, to tell the admin. A workspace
// Slack is moving into its Enterprise organization (team_added_to_org,
// org_login_required: Slack refuses calls until the move is done) is a
// warning, and the user is told through the response_url, which is no
// Web API call, to try again once the move is done. Before, all of them
// were logged at error level and answered "Sorry, the form could not be
// opened. Please try again." through chat.postEphemeral, which Slack
// refuses too when it refuses the token.
func TestSlackFormNotOpenedIsToldToTheUser(t *testing.T) {
	refused, busy := bot.FormAccessRefused(slackbot.Name), bot.FormPlatformBusy(slackbot.Name, slackbot.MovingToOrg)
	tests := []struct {
		name  string
		code  string // views.open's Slack error
		level slog.Level
		told  string
		via   string // the route that carried the notice
	}{
		{"ExpiredTrigger", "expired_trigger_id", slog.LevelWarn, slackbot.FormExpired, "chat.postEphemeral to UREP"},
		{"TriggerUsed", "exchanged_trigger_id", slog.LevelWarn, slackbot.FormTriggerUsed, "chat.postEphemeral to UREP"},
		{"InvalidAuth", "invalid_auth", slog.LevelError, refused, "response_url /response/UREP"},
		{"TokenRevoked", "token_revoked", slog.LevelError, refused, "response_url /response/UREP"},
		{"MovingToOrg", "team_added_to_org", slog.LevelWarn, busy, "response_url /response/UREP"},
		{"OrgLoginRequired", "org_login_required", slog.LevelWarn, busy, "response_url /response/UREP"},
	}
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := newSlackRig(t, s, nil)
				l := r.announced(t, fmt.Sprintf("form-not-opened-%d", i))
				r.slack.ErrorNext("views.open", 1, tt.code)
				status, body := r.click(t, "UREP", bot.ActionNotAFit, l.ID)
				if status != http.StatusOK || body != "" {
					t.Fatalf("click: HTTP %d %q, want 200 and an empty answer", status, body)
				}
				r.drain(t)
				var told []string
				for _, c := range r.slack.Calls("chat.postEphemeral") {
					told = append(told, "chat.postEphemeral to "+c.Param("user")+": "+c.Param("text"))
				}
				for _, c := range r.slack.Calls("response_url") {
					told = append(told, "response_url "+c.Path+": "+c.Param("text"))
				}
				want := tt.via + ": " + tt.told
				if len(told) != 1 || told[0] != want {
					t.Errorf("the user was told %q, want only %q", told, want)
				}
				if err := failureLogged(r.levels, tt.code, tt.level); err != nil {
					t.Error(err)
				}
			})
		}
	})
}
