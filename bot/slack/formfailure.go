package slack

import (
	"errors"
	"log/slog"

	slackapi "github.com/slack-go/slack"

	"github.com/handoff/handoff/bot"
)

// What a click's user is told when Slack did not open its form
// (views.open), privately, since the trigger is gone (formFailure).
const (
	// FormUnanswered: Slack did not answer (its outage, a rate limit, no
	// answer within SLACK_TIMEOUT).
	FormUnanswered = "Sorry, Handoff could not open the form just now (Slack did not answer), so it did nothing. " +
		"Please try again in a minute."
	// FormExpired: Slack answered expired_trigger_id, the form was asked
	// for more than the 3 seconds after the click that Slack allows.
	FormExpired = "Sorry, the form did not open in time (Slack allows 3 seconds after a click), so Handoff did nothing. " +
		"Please click the button again."
	// FormTokenRefused: Slack refused Handoff's bot token (tokenRefused),
	// which only an admin can mend.
	FormTokenRefused = "Sorry, Handoff could not open the form: Slack refused Handoff's access, so it did nothing. " +
		"Please tell your Slack admin; Handoff's log says what to fix."
	// FormNotOpened: any other failure (a modal Slack refused).
	FormNotOpened = "Sorry, the form could not be opened. Please try again."
)

// formFailure is how a click answers err, OpenForm's error: the level it
// is logged at, what its user is told, and whether that goes through the
// click's response_url, which needs no token, rather than
// chat.postEphemeral, which Slack would refuse as it refused views.open.
// Slack not answering and an expired trigger (Slack's timing: a trigger
// lasts 3 s from the click, which may reach Handoff late) are warnings,
// Slack's doing; the rest, an auth failure or a modal Slack refused, are
// errors.
func formFailure(err error) (level slog.Level, notice string, viaResponseURL bool) {
	var se slackapi.SlackErrorResponse
	errors.As(err, &se)
	switch {
	case bot.IsUnanswered(err):
		return slog.LevelWarn, FormUnanswered, false
	case se.Err == "expired_trigger_id":
		return slog.LevelWarn, FormExpired, false
	case tokenRefused[se.Err]:
		return slog.LevelError, FormTokenRefused, true
	}
	return slog.LevelError, FormNotOpened, false
}
