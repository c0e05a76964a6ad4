package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
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

// countingAnswerer answers every command and counts the answers.
type countingAnswerer struct{ n int }

func (c *countingAnswerer) Answer(ctx context.Context, cmd bot.Command) (bot.Message, error) {
	c.n++
	return bot.Notice("the report"), nil
}

// fromTeams rewrites an interaction body as sent from workspace team by a
// user whose own workspace is userTeam ("" to leave it out).
func fromTeams(t *testing.T, body, team, userTeam string) string {
	t.Helper()
	form, err := url.ParseQuery(body)
	if err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	if err := json.Unmarshal([]byte(form.Get("payload")), &p); err != nil {
		t.Fatal(err)
	}
	p["team"] = map[string]any{"id": team}
	if userTeam != "" {
		p["user"].(map[string]any)["team_id"] = userTeam
	}
	raw, _ := json.Marshal(p)
	return url.Values{"payload": {string(raw)}}.Encode()
}

// TestSlackActsOnlyForOurWorkspace sends signed commands, clicks, form
// submissions and events from people Handoff must not act for: another
// workspace, a Slack Connect user in a shared channel, guests. Each is
// refused privately and changes nothing; a full member still gets through.
func TestSlackActsOnlyForOurWorkspace(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		answers := &countingAnswerer{}
		r := newSlackRig(t, s, answers)
		r.slack.SetUser("UGUEST", slacktest.User{Restricted: true})
		r.slack.SetUser("USINGLE", slacktest.User{UltraRestricted: true})
		r.slack.SetUser("UEXT", slacktest.User{TeamID: "T0THEM", Stranger: true})
		l := r.announced(t, "ws")
		click := func(user string) string {
			return slacktest.ClickPayload(user, salesChannel, "1700000000.000001", bot.ActionClaim, fmt.Sprint(l.ID), r.slack.ResponseURL(user))
		}
		tests := []struct {
			name string
			user string
			body string // a click
		}{
			{"OtherWorkspace", "UOTHER", fromTeams(t, click("UOTHER"), "T0THEM", "")},
			{"SlackConnectUser", "UCONNECT", fromTeams(t, click("UCONNECT"), slacktest.TeamID, "T0THEM")},
			{"ExternalByProfile", "UEXT", click("UEXT")},
			{"Guest", "UGUEST", click("UGUEST")},
			{"SingleChannelGuest", "USINGLE", click("USINGLE")},
		}
		for _, tt := range tests {
			t.Run(tt.name+"Click", func(t *testing.T) {
				if status, body := r.send(t, "/slack/interactions", signingSecret, time.Now(), tt.body); status != http.StatusOK {
					t.Fatalf("click: %d %s", status, body)
				}
				r.drain(t)
				if got := r.lead(t, l.ID); got.Stage != handoff.StageSQL || !got.Owner.IsZero() {
					t.Fatalf("refused claim changed the lead: %s %+v", got.Stage, got.Owner)
				}
				if told := ephemeralsTo(r.slack.Calls("chat.postEphemeral"), tt.user); len(told) != 1 || !strings.Contains(told[0], "only for full members") {
					t.Fatalf("private answers to %s = %q, want one refusal", tt.user, told)
				}
			})
		}
		t.Run("Commands", func(t *testing.T) {
			bodies := map[string]string{
				"UOTHER": strings.Replace(slacktest.CommandBody("UOTHER", salesChannel, "/funnel", "month", r.slack.ResponseURL("c1")),
					"team_id="+slacktest.TeamID, "team_id=T0THEM", 1),
				"UGUEST":  slacktest.CommandBody("UGUEST", salesChannel, "/funnel", "month", r.slack.ResponseURL("c2")),
				"USINGLE": slacktest.CommandBody("USINGLE", salesChannel, "/leads", "open", r.slack.ResponseURL("c3")),
				"UEXT":    slacktest.CommandBody("UEXT", salesChannel, "/sla", "", r.slack.ResponseURL("c4")),
			}
			for user, body := range bodies {
				status, ack := r.send(t, "/slack/commands", signingSecret, time.Now(), body)
				if status != http.StatusOK || !strings.Contains(ack, "only for full members") || !strings.Contains(ack, `"ephemeral"`) {
					t.Errorf("%s: %d %s, want a private refusal", user, status, ack)
				}
			}
			if answers.n != 0 {
				t.Fatalf("%d reports were run for people Handoff does not act for", answers.n)
			}
		})
		t.Run("FormSubmission", func(t *testing.T) {
			state := fmt.Sprintf(`{"lead":%d,"channel":%q}`, l.ID, salesChannel)
			body := slacktest.SubmitPayload("USINGLE", bot.ActionNotAFit, state, map[string]string{"reason": "spam"})
			status, ack := r.send(t, "/slack/interactions", signingSecret, time.Now(), body)
			if status != http.StatusOK || !strings.Contains(ack, "only for full members") {
				t.Fatalf("submission: %d %s, want the refusal on the form", status, ack)
			}
			if got := r.lead(t, l.ID); got.Stage != handoff.StageSQL {
				t.Fatalf("refused submission changed the lead: %s", got.Stage)
			}
		})
		t.Run("EventOfAnotherWorkspace", func(t *testing.T) {
			event := `{"type":"event_callback","team_id":"T0THEM","event_id":"EvTHEM","event":{"type":"tokens_revoked"}}`
			if status, body := r.send(t, "/slack/events", signingSecret, time.Now(), event); status != http.StatusOK {
				t.Fatalf("event: %d %s", status, body)
			}
			if first, err := s.MarkProcessed(context.Background(), slackbot.Name, "EvTHEM", time.Now()); err != nil || !first {
				t.Fatalf("a foreign event was recorded: first = %v, %v", first, err)
			}
		})
		t.Run("FullMemberIsServed", func(t *testing.T) {
			if status, body := r.click(t, "UREP", bot.ActionClaim, l.ID); status != http.StatusOK {
				t.Fatalf("click: %d %s", status, body)
			}
			if got := r.lead(t, l.ID); got.Owner.UserID != "UREP" {
				t.Fatalf("owner = %+v, want UREP", got.Owner)
			}
			if n := len(r.slack.Calls("auth.test")); n != 1 {
				t.Fatalf("auth.test calls = %d, want 1 (asked once, then kept)", n)
			}
		})
	})
}
