package handlers_test

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/teams"
	"github.com/handoff/handoff/bot/teams/teamstest"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestTeamsFormNotSentIsToldWhy: an Action.Submit Not a fit click (a
// client without Universal Actions), whose form is sent to the user's
// chat with the bot, when that send fails, tells the user there why, and
// is answered 200. The Bot Connector not answering (503, or no answer
// within TEAMS_TIMEOUT) is Teams' doing: logged as a warning, and the user
// is told that Teams did not answer and to try again in a minute.
// Microsoft refusing Handoff's credentials (the Bot Connector's 401 to the
// bot's token, the token endpoint's 401 to an expired client secret) is
// logged as an error, and the user is asked to tell their Teams admin,
// once the outbox can send again. A Teams admin having blocked the app
// (the Bot Connector's 403 BotDisabledByAdmin to the user's chat) is
// logged as an error with what to do, and the user is told that an admin
// blocked the app and to ask them to allow it: the notice goes to the
// same chat, refused too while the app is blocked, and is retried, so it
// reaches the user once the admin has allowed the app. Before,
// every failure was answered "Sorry, the form could not be opened. Please
// try again." and the credentials' refusal logged as a warning; the
// blocked app was answered so until bot.FormAppBlocked. Rita opened a
// form before each (her role is known, her chat with the bot too): the
// form's send is the click's only call to Microsoft.
func TestTeamsFormNotSentIsToldWhy(t *testing.T) {
	tests := []struct {
		name    string
		timeout time.Duration // TEAMS_TIMEOUT; 0 for the tests' own
		// fail makes the form's send fail, and returns what mends it.
		fail  func(t *testing.T, e *teamsEnv) (mend func())
		level slog.Level
		names string // in the log record of the failure
		told  string
	}{
		{"BotConnectorUnavailable", 0, func(_ *testing.T, e *teamsEnv) func() {
			e.bf.Unavailable(1, "")
			return func() {}
		}, slog.LevelWarn, "HTTP 503", bot.FormUnanswered(teams.Name)},
		{"BotConnectorHeldPastTheTimeout", time.Second, func(t *testing.T, e *teamsEnv) func() {
			gaveUp, release := e.bf.HoldEndpoint(teamstest.ConnectorEndpoint)
			t.Cleanup(release)
			return func() {
				<-gaveUp // the connector gave up on the send: Teams never answered
				release()
			}
		}, slog.LevelWarn, "deadline exceeded", bot.FormUnanswered(teams.Name)},
		{"TokenRefused", 0, func(_ *testing.T, e *teamsEnv) func() {
			e.bf.RevokeTokens()
			return func() {} // a new token is taken
		}, slog.LevelError, "HTTP 401", bot.FormAccessRefused(teams.Name)},
		{"SecretExpired", 0, func(t *testing.T, e *teamsEnv) func() {
			e.bf.ExpireSecret(true)
			e.bf.RevokeTokens()
			// A card posted meanwhile is refused: the bot's token is
			// dropped, and the form's send asks for a new one.
			e.newSQL("secret-expired-card")
			e.deliver()
			return func() { e.bf.ExpireSecret(false) } // an admin set a new secret
		}, slog.LevelError, "AADSTS7000222", bot.FormAccessRefused(teams.Name)},
		{"AppBlockedByAdmin", 0, func(t *testing.T, e *teamsEnv) func() {
			chat := e.chatWith(t, ritaID)
			e.bf.Refuse(chat, http.StatusForbidden, "BotDisabledByAdmin")
			return func() {
				e.deliver() // the notice, to the same chat, is refused too: kept, to be retried
				st, err := e.store.OutboxStats(context.Background())
				if err != nil || st.Dead != 0 || st.Pending == 0 {
					t.Fatalf("outbox %+v, %v; want the notice pending, none given up", st, err)
				}
				// The admin allowed the app again: the notice goes at
				// its next attempt, with no one to retry it.
				e.bf.Refuse(chat, 0, "")
				e.clock.Advance(time.Minute)
			}
		}, slog.LevelError, "BotDisabledByAdmin: refused by the test (a Teams admin has blocked the app: allow it in the Teams admin center",
			bot.FormAppBlocked(teams.Name)},
	}
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e := newTeamsEnvTimed(t, s, s, nil, handoff.DefaultPolicy(), cmp.Or(tt.timeout, teamstest.ClientTimeout))
				e.install()
				id := e.newSQL(fmt.Sprintf("form-not-sent-%d", i))
				e.deliver()
				if forms := e.formsSent(t, id); forms != 1 {
					t.Fatalf("before: %d forms sent to Rita, want 1", forms)
				}

				mend := tt.fail(t, e)
				before := len(e.bf.Calls())
				status, body := e.post(e.submitClick(ritaID, "Rita Rep", bot.ActionNotAFit, id), e.token())
				if status != http.StatusOK || len(body) != 0 {
					t.Fatalf("click: HTTP %d %s, want 200 and no body", status, body)
				}
				mend()
				e.deliver()
				var told []string
				for _, c := range callsOf(e.bf, "send") {
					if e.bf.ChatUser(c.ConversationID) == ritaID && !strings.Contains(cardText(c), "form_actions") {
						told = append(told, cardText(c))
					}
				}
				if len(told) != 1 || !strings.Contains(told[0], tt.told) {
					t.Errorf("Rita was told %q, want once %q; calls %+v", told, tt.told, e.bf.Calls()[before:])
				}
				if err := failureLogged(e.levels, "teams: send form", tt.level); err != nil {
					t.Error(err)
				}
				if recs := e.levels.Naming("teams: send form"); len(recs) != 1 || !strings.Contains(recs[0].Attrs, tt.names) {
					t.Errorf("logged %+v, want one record naming %q", recs, tt.names)
				}
			})
		}
	})
}

// formsSent clicks Not a fit on lead as Rita, with an Action.Submit from
// the sales channel, and returns how many forms were sent to her chat
// with the bot for it.
func (e *teamsEnv) formsSent(t *testing.T, lead int64) int {
	t.Helper()
	before := len(e.bf.Calls())
	if status, body := e.post(e.submitClick(ritaID, "Rita Rep", bot.ActionNotAFit, lead), e.token()); status != http.StatusOK {
		t.Fatalf("click: HTTP %d %s", status, body)
	}
	forms := 0
	for _, c := range e.bf.Calls()[before:] {
		if c.Op == "send" && e.bf.ChatUser(c.ConversationID) == ritaID && strings.Contains(cardText(c), "form_actions") {
			forms++
		}
	}
	return forms
}

// chatWith returns the conversation id of user's one-to-one chat with the
// bot, which the bot has sent to before.
func (e *teamsEnv) chatWith(t *testing.T, user string) string {
	t.Helper()
	for _, c := range callsOf(e.bf, "send") {
		if e.bf.ChatUser(c.ConversationID) == user {
			return c.ConversationID
		}
	}
	t.Fatalf("the bot has not sent to %s's chat", user)
	return ""
}
