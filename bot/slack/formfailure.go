package slack

import (
	"errors"
	"log/slog"

	slackapi "github.com/slack-go/slack"

	"github.com/handoff/handoff/bot"
)

// What a click's user is told when Slack did not open its form
// (views.open) for a reason of Slack's trigger, which only Slack has,
// privately, since the trigger is gone (formFailure). The words every
// platform shares are package bot's: bot.FormUnanswered,
// bot.FormAccessRefused, bot.FormPlatformBusy and bot.FormNotOpened.
const (
	// MovingToOrg is what Slack is busy with when it answers
	// team_added_to_org or org_login_required (movingToOrg), in
	// bot.FormPlatformBusy's words.
	MovingToOrg = "moving this workspace into its Enterprise organization"
	// FormExpired: Slack answered expired_trigger_id, the form was asked
	// for more than the 3 seconds after the click that Slack allows.
	FormExpired = "Sorry, the form did not open in time (Slack allows 3 seconds after a click), so Handoff did nothing. " +
		"Please click the button again."
	// FormTriggerUsed: Slack answered exchanged_trigger_id, a form was
	// opened with this click's trigger already (Slack opens one form a
	// click: the same click handled twice, as when Slack sends it again).
	FormTriggerUsed = "Slack had already opened a form for this click, so Handoff did nothing more. " +
		"It may be open in another Slack window; if you do not see it, please click the button again."
)

// formFailure is how a click answers err, OpenForm's error: the level it
// is logged at, what its user is told, and whether that goes through the
// click's response_url, which needs no token, rather than
// chat.postEphemeral, which Slack would refuse as it refused views.open.
// Slack not answering and its trigger's timing (a trigger lasts 3 s from
// the click, which may reach Handoff late, and opens one form: a click
// handled twice) are warnings, Slack's doing; so is a workspace Slack is
// moving into its Enterprise organization (movingToOrg), which Slack
// refuses calls for until the move is done, and which is told through the
// response_url, no Web API call; the rest, an auth failure or a modal
// Slack refused, are errors.
func formFailure(err error) (level slog.Level, notice string, viaResponseURL bool) {
	var se slackapi.SlackErrorResponse
	errors.As(err, &se)
	switch {
	case bot.IsUnanswered(err):
		return slog.LevelWarn, bot.FormUnanswered(Name), false
	case se.Err == "expired_trigger_id":
		return slog.LevelWarn, FormExpired, false
	case se.Err == "exchanged_trigger_id":
		return slog.LevelWarn, FormTriggerUsed, false
	case tokenRefused[se.Err]:
		return slog.LevelError, bot.FormAccessRefused(Name), true
	case movingToOrg[se.Err]:
		return slog.LevelWarn, bot.FormPlatformBusy(Name, MovingToOrg), true
	}
	return slog.LevelError, bot.FormNotOpened, false
}
