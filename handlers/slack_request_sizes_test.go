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
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// withForm is the form body with key set to v.
func withForm(t *testing.T, body, key, v string) string {
	t.Helper()
	form, err := url.ParseQuery(body)
	if err != nil {
		t.Fatal(err)
	}
	form.Set(key, v)
	return form.Encode()
}

// withPayload is an interaction's form body with its JSON payload changed
// by edit.
func withPayload(t *testing.T, body string, edit func(p map[string]any)) string {
	t.Helper()
	form, err := url.ParseQuery(body)
	if err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	if err := json.Unmarshal([]byte(form.Get("payload")), &p); err != nil {
		t.Fatal(err)
	}
	edit(p)
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return url.Values{"payload": {string(b)}}.Encode()
}

// A slash command or an interaction naming its user, team, channel,
// trigger, lead or picked user by an id longer than handoff.MaxChatIDLen,
// or carrying a response_url that is too long or not an absolute https
// URL (http is taken for a loopback host, the fake's), is refused 400
// naming the field, on both databases, before Slack is asked anything
// (users.info, auth.test) and with nothing written: no claim, no
// reassignment, no outbox message. Ids at the limit are handled.
func TestSlackRequestIDSizes(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newSlackRig(t, s, nil)
		l := r.announced(t, "request-sizes")
		if status, body := r.click(t, "UREP", bot.ActionClaim, l.ID); status != http.StatusOK {
			t.Fatalf("claim: %d %s", status, body)
		}
		r.drain(t)
		over := strings.Repeat("P", handoff.MaxChatIDLen+1)
		atLimit := "U" + strings.Repeat("P", handoff.MaxChatIDLen-1)
		longURL := "https://hooks.slack.com/commands/T0001/1/" + strings.Repeat("x", handoff.MaxChatIDLen)
		command := slacktest.CommandBody("UREP", salesChannel, "/leads", "mine", r.slack.ResponseURL("c"))
		click := slacktest.ClickPayload("UOWNER", salesChannel, "1700000000.000001", bot.ActionClaim, fmt.Sprint(l.ID), r.slack.ResponseURL("k"))
		state := fmt.Sprintf(`{"lead":%d,"channel":%q}`, l.ID, salesChannel)
		for _, tt := range []struct {
			name, path, body string
			field, why       string // "" for a request handled
		}{
			{"a command's user at the limit", "/slack/commands", withForm(t, command, "user_id", atLimit), "", ""},
			{"a command's user", "/slack/commands", withForm(t, command, "user_id", over), "user_id", "longer than 300 characters"},
			{"a command's team", "/slack/commands", withForm(t, command, "team_id", over), "team_id", "longer than 300 characters"},
			{"a command's channel", "/slack/commands", withForm(t, command, "channel_id", over), "channel_id", "longer than 300 characters"},
			{"a command's trigger", "/slack/commands", withForm(t, command, "trigger_id", over), "trigger_id", "longer than 300 characters"},
			{"a command's response_url too long", "/slack/commands", withForm(t, command, "response_url", longURL), "response_url", "longer than 300 characters"},
			{"a command's response_url over plain http", "/slack/commands", withForm(t, command, "response_url", "http://hooks.slack.com/commands/T0001/1/x"),
				"response_url", "not an absolute https URL"},
			{"a command's relative response_url", "/slack/commands", withForm(t, command, "response_url", "/commands/T0001/1/x"), "response_url", "not an absolute https URL"},
			{"a click's user", "/slack/interactions", slacktest.ClickPayload("U"+over, salesChannel, "1.1", bot.ActionClaim, fmt.Sprint(l.ID), ""),
				"user.id", "longer than 300 characters"},
			{"a click's channel", "/slack/interactions", slacktest.ClickPayload("UOWNER", "C"+over, "1.1", bot.ActionClaim, fmt.Sprint(l.ID), ""),
				"container.channel_id", "longer than 300 characters"},
			{"a click's team", "/slack/interactions", withPayload(t, click, func(p map[string]any) { p["team"] = map[string]any{"id": "T" + over} }),
				"team.id", "longer than 300 characters"},
			{"a click's user's team", "/slack/interactions", withPayload(t, click, func(p map[string]any) { p["user"].(map[string]any)["team_id"] = "T" + over }),
				"user.team_id", "longer than 300 characters"},
			{"a click's trigger", "/slack/interactions", withPayload(t, click, func(p map[string]any) { p["trigger_id"] = over }),
				"trigger_id", "longer than 300 characters"},
			{"a click's lead", "/slack/interactions", slacktest.ClickPayload("UOWNER", salesChannel, "1.1", bot.ActionClaim, strings.Repeat("0", handoff.MaxChatIDLen)+fmt.Sprint(l.ID), ""),
				"actions[0].value", "longer than 300 characters"},
			{"a click's response_url too long", "/slack/interactions", slacktest.ClickPayload("UOWNER", salesChannel, "1.1", bot.ActionClaim, fmt.Sprint(l.ID), longURL),
				"response_url", "longer than 300 characters"},
			{"a click's response_url over plain http", "/slack/interactions", slacktest.ClickPayload("UOWNER", salesChannel, "1.1", bot.ActionClaim, fmt.Sprint(l.ID), "http://hooks.example.com/r"),
				"response_url", "not an absolute https URL"},
			{"a form's picked owner", "/slack/interactions", slacktest.SubmitPayload("UBOSS", bot.ActionReassign, state, map[string]string{"user:owner": "U" + over}),
				"view.state.values.owner.owner.selected_user", "longer than 300 characters"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				calls := len(r.slack.Calls(""))
				status, body := r.send(t, tt.path, signingSecret, time.Now(), tt.body)
				if tt.field == "" {
					if status != http.StatusOK {
						t.Fatalf("%d %s, want 200", status, body)
					}
					return
				}
				if status != http.StatusBadRequest || !strings.Contains(body, tt.field) || !strings.Contains(body, tt.why) {
					t.Errorf("%d %s, want 400 naming %s: %s", status, body, tt.field, tt.why)
				}
				if made := r.slack.Calls("")[calls:]; len(made) != 0 {
					t.Errorf("%d calls to Slack (first %s), want none", len(made), made[0].Method)
				}
				r.drain(t)
				if got := r.lead(t, l.ID); got.Owner.UserID != "UREP" {
					t.Errorf("the lead's owner is %.20s…, want UREP's claim to stand", got.Owner.UserID)
				}
				if st, err := s.OutboxStats(ctx); err != nil || st.Pending != 0 || st.Dead != 0 {
					t.Errorf("outbox %+v, %v: want nothing queued", st, err)
				}
			})
		}
	})
}
