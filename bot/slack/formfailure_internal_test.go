package slack

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"testing"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/handoff/handoff/bot"
)

// TestFormFailure: what a click whose form views.open did not open tells
// its user, at which level it is logged, and whether the notice goes
// through the click's response_url, for each way views.open fails, as
// OpenForm returns it (classified and marked unanswered). Slack not
// answering, an expired trigger and a trigger already exchanged (the
// click handled twice) are Slack's doing (warnings); a bot token Slack
// refuses is told through the response_url, which needs none (an error,
// for an admin to mend); a workspace Slack is moving into its Enterprise
// organization (team_added_to_org, org_login_required: Slack takes no
// calls until the move is done) is a warning told through the
// response_url, which is no Web API call; anything else keeps the old
// answer. A trigger already exchanged, and a workspace being moved, were
// answered as anything else, an error, before.
func TestFormFailure(t *testing.T) {
	noAnswer, refused, busy := bot.FormUnanswered(Name), bot.FormAccessRefused(Name), bot.FormPlatformBusy(Name, MovingToOrg)
	timeout := &url.Error{Op: "Post", URL: "https://slack.com/api/views.open", Err: context.DeadlineExceeded}
	tests := []struct {
		name           string
		err            error // as slack-go returns it
		level          slog.Level
		notice         string
		viaResponseURL bool
	}{
		{"ExpiredTrigger", slackapi.SlackErrorResponse{Err: "expired_trigger_id"}, slog.LevelWarn, FormExpired, false},
		{"TriggerUsed", slackapi.SlackErrorResponse{Err: "exchanged_trigger_id"}, slog.LevelWarn, FormTriggerUsed, false},
		{"InvalidAuth", slackapi.SlackErrorResponse{Err: "invalid_auth"}, slog.LevelError, refused, true},
		{"NotAuthed", slackapi.SlackErrorResponse{Err: "not_authed"}, slog.LevelError, refused, true},
		{"AccountInactive", slackapi.SlackErrorResponse{Err: "account_inactive"}, slog.LevelError, refused, true},
		{"TokenRevoked", slackapi.SlackErrorResponse{Err: "token_revoked"}, slog.LevelError, refused, true},
		{"TokenExpired", slackapi.SlackErrorResponse{Err: "token_expired"}, slog.LevelError, refused, true},
		{"MovingToOrg", slackapi.SlackErrorResponse{Err: "team_added_to_org"}, slog.LevelWarn, busy, true},
		{"OrgLoginRequired", slackapi.SlackErrorResponse{Err: "org_login_required"}, slog.LevelWarn, busy, true},
		{"SlackFailed", slackapi.SlackErrorResponse{Err: "internal_error"}, slog.LevelWarn, noAnswer, false},
		{"RateLimitedWithoutRetryAfter", slackapi.SlackErrorResponse{Err: "ratelimited"}, slog.LevelWarn, noAnswer, false},
		{"RateLimited", &slackapi.RateLimitedError{RetryAfter: time.Second}, slog.LevelWarn, noAnswer, false},
		{"ServerError", slackapi.StatusCodeError{Code: http.StatusInternalServerError, Status: "500 Internal Server Error"}, slog.LevelWarn, noAnswer, false},
		{"NoAnswerInTime", timeout, slog.LevelWarn, noAnswer, false},
		{"ModalRefused", slackapi.SlackErrorResponse{Err: "invalid_blocks"}, slog.LevelError, bot.FormNotOpened, false},
		{"TriggerUnknown", slackapi.SlackErrorResponse{Err: "invalid_trigger_id"}, slog.LevelError, bot.FormNotOpened, false},
		{"BadRequest", slackapi.StatusCodeError{Code: http.StatusBadRequest, Status: "400 Bad Request"}, slog.LevelError, bot.FormNotOpened, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := unanswered(classify("views.open", tt.err))
			level, notice, viaResponseURL := formFailure(err)
			if level != tt.level || notice != tt.notice || viaResponseURL != tt.viaResponseURL {
				t.Errorf("formFailure(%v) = %s, %q, response_url %v; want %s, %q, response_url %v",
					err, level, notice, viaResponseURL, tt.level, tt.notice, tt.viaResponseURL)
			}
		})
	}
}
