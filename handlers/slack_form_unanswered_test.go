package handlers_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestSlackFormUnansweredIsAWarning: a click whose form Slack does not
// open because Slack did not answer views.open (a 500, a rate limit, no
// answer within the client's timeout: the fake holds the call until the
// client gave up) is Slack's failure: logged as a warning, and the user is
// told privately that Slack did not answer and to try again. A views.open
// Slack answered with a refusal of Handoff's modal (invalid_blocks) is
// Handoff's own failure, logged as an error. Before, every failure was
// logged at error level ("slack: open form") and answered "Sorry, the
// form could not be opened. Please try again."
func TestSlackFormUnansweredIsAWarning(t *testing.T) {
	const unanswered = "Slack did not answer"
	tests := []struct {
		name     string
		fail     func(t *testing.T, r *slackRig)
		names    string // in every record of the failure
		want     slog.Level
		wantTold string
		notTold  string
	}{
		{"ServerError", func(_ *testing.T, r *slackRig) { r.slack.FailNext("views.open", 1, http.StatusInternalServerError, 0) },
			"views.open", slog.LevelWarn, unanswered, ""},
		{"RateLimited", func(_ *testing.T, r *slackRig) { r.slack.FailNext("views.open", 1, http.StatusTooManyRequests, 1) },
			"views.open", slog.LevelWarn, unanswered, ""},
		{"HeldPastTheClientTimeout", func(t *testing.T, r *slackRig) {
			_, gaveUp, release := r.slack.Hold("views.open")
			t.Cleanup(func() {
				<-gaveUp // the client gave up on it: Slack never answered
				release()
			})
		}, "views.open", slog.LevelWarn, unanswered, ""},
		{"SlackFailed", func(_ *testing.T, r *slackRig) { r.slack.ErrorNext("views.open", 1, "internal_error") },
			"views.open", slog.LevelWarn, unanswered, ""},
		{"ModalRefused", func(_ *testing.T, r *slackRig) { r.slack.ErrorNext("views.open", 1, "invalid_blocks") },
			"invalid_blocks", slog.LevelError, "the form could not be opened", unanswered},
	}
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				// A timeout the other calls of the rig meet even on a
				// loaded machine; the held views.open never answers.
				r := newSlackRigOf(t, s, nil, 0, time.Second)
				l := r.announced(t, fmt.Sprintf("form-unanswered-%d", i))
				tt.fail(t, r)
				status, body := r.click(t, "UREP", bot.ActionNotAFit, l.ID)
				if status != http.StatusOK {
					t.Fatalf("click: HTTP %d %s", status, body)
				}
				r.drain(t)
				told := strings.Join(r.told(body), "\n")
				if !strings.Contains(told, tt.wantTold) || tt.notTold != "" && strings.Contains(told, tt.notTold) {
					t.Errorf("the user was told %q, want %q", told, tt.wantTold)
				}
				if err := failureLogged(r.levels, tt.names, tt.want); err != nil {
					t.Error(err)
				}
			})
		}
	})
}
