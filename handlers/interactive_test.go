package handlers_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/handlers"
	"github.com/handoff/handoff/internal/busy"
)

// gateApp is a SlackApp that records how many interactive requests were
// in flight while it answered.
type gateApp struct {
	gate *busy.Gate
	seen []int
}

func (a *gateApp) note() (any, error) {
	a.seen = append(a.seen, a.gate.InFlight())
	return nil, nil
}

func (a *gateApp) Command(context.Context, slack.SlashCommand) (any, error) { return a.note() }
func (a *gateApp) Interaction(context.Context, slack.InteractionCallback) (any, error) {
	return a.note()
}
func (a *gateApp) Event(context.Context, []byte) (any, error) { return a.note() }

// A signed click or command counts as in flight while it is answered (the
// outbox steps aside), and no longer once answered; a request with a bad
// signature never reaches the app.
func TestSlackCountsInteractiveRequests(t *testing.T) {
	const secret = "sec"
	click := slacktest.ClickPayload("U1", "CSALES", "1700000000.000100", "lead.claim", "1", "")
	command := slacktest.CommandBody("U1", "CSALES", "/funnel", "", "")
	tests := []struct {
		name, path, secret, body string
		status                   int
		seen                     []int
	}{
		{"Click", "/slack/interactions", secret, click, http.StatusOK, []int{1}},
		{"Command", "/slack/commands", secret, command, http.StatusOK, []int{1}},
		{"ForgedClick", "/slack/interactions", "other", click, http.StatusUnauthorized, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var gate busy.Gate
			app := &gateApp{gate: &gate}
			mux := http.NewServeMux()
			(&handlers.Slack{SigningSecret: secret, App: app, Logger: discardLogger(), Interactive: &gate}).Register(mux)
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, slacktest.SignedRequest("http://handoff.test"+tc.path, tc.secret, time.Now(), tc.body))
			if rec.Code != tc.status {
				t.Fatalf("status = %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			if len(app.seen) != len(tc.seen) || (len(tc.seen) > 0 && app.seen[0] != tc.seen[0]) {
				t.Fatalf("in flight while answering = %v, want %v", app.seen, tc.seen)
			}
			if gate.InFlight() != 0 {
				t.Fatalf("in flight after the answer = %d, want 0", gate.InFlight())
			}
		})
	}
}
