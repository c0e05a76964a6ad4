package handlers_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/storage/storagetest"
)

// FuzzSlackInteraction sends signed interaction payloads of arbitrary JSON
// to the real handler: it must answer 200 or 400, never panic or 500.
func FuzzSlackInteraction(f *testing.F) {
	f.Add(`{"type":"block_actions","user":{"id":"U1"},"actions":[{"action_id":"lead.claim","value":"1"}]}`)
	f.Add(`{"type":"view_submission","user":{"id":"U1"},"view":{"callback_id":"lead.won","private_metadata":"{}"}}`)
	f.Add(`{"type":"block_actions","actions":[]}`)
	f.Add(`{"type":"shortcut"}`)
	f.Add(`[]`)
	s := storagetest.Open(f, storagetest.FuzzDialect())
	r := newSlackRig(f, s, nil)
	f.Fuzz(func(t *testing.T, payload string) {
		status, body := r.send(t, "/slack/interactions", signingSecret, time.Now(), url.Values{"payload": {payload}}.Encode())
		if status != 200 && status != 400 {
			t.Fatalf("payload %q: status %d %s", payload, status, body)
		}
	})
}

// FuzzSlackCommand sends signed slash commands with arbitrary text.
func FuzzSlackCommand(f *testing.F) {
	f.Add("/funnel", "month")
	f.Add("/leads", "mine")
	f.Add("/sla", "")
	f.Add("/nope", "\x00")
	s := storagetest.Open(f, storagetest.FuzzDialect())
	r := newSlackRig(f, s, nil)
	f.Fuzz(func(t *testing.T, command, text string) {
		body := url.Values{"command": {command}, "text": {text}, "user_id": {"U1"}, "channel_id": {"C1"}, "response_url": {r.slack.ResponseURL("f")}}.Encode()
		status, out := r.send(t, "/slack/commands", signingSecret, time.Now(), body)
		if status != 200 && status != 400 {
			t.Fatalf("command %q %q: status %d %s", command, text, status, out)
		}
	})
}

// FuzzSlackEvent sends signed Events API bodies of arbitrary JSON to the
// real handler: it must answer 200 or 400 (with the reason), never panic
// or 500.
func FuzzSlackEvent(f *testing.F) {
	f.Add(`{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`)
	f.Add(`{"type":"event_callback","team_id":"T0001","event_id":"Ev0PV52K21","event_time":1700000000,"event":{"type":"tokens_revoked"}}`)
	f.Add(`{"type":"event_callback","team_id":"T0001","event_id":"EvUC1","event_time":1700000000,"event":{"type":"user_change","user":{"id":"UREP7","team_id":"T0001","deleted":false,"profile":{"status_text":"Out of office","status_emoji":":palm_tree:","status_expiration":1900000000}}}}`)
	f.Add(`{"type":"event_callback","team_id":"T0001","event_id":"EvUC2","event_time":1700000000,"event":{"type":"user_change","user":"UREP7"}}`)
	f.Add(`{"type":"event_callback","team_id":"T0001","event_id":"EvH1","event_time":1700000000,"event":{"type":"app_home_opened","user":"UREP","tab":"home"}}`)
	f.Add(slacktest.ChannelEvent("EvML1", "member_left_channel", "UREP", salesChannel))
	f.Add(slacktest.ChannelEvent("EvMJ1", "member_joined_channel", slacktest.BotUserID, managerChannel))
	f.Add(`{"type":"event_callback","team_id":"T0001","event":{}}`)
	f.Add(`[]`)
	s := storagetest.Open(f, storagetest.FuzzDialect())
	r := newSlackRig(f, s, nil)
	f.Fuzz(func(t *testing.T, body string) {
		status, out := r.send(t, "/slack/events", signingSecret, time.Now(), body)
		if status != 200 && status != 400 {
			t.Fatalf("body %q: status %d %s", body, status, out)
		}
		if status == 400 && !strings.Contains(out, `"error"`) {
			t.Fatalf("400 without a reason: %s", out)
		}
	})
}
