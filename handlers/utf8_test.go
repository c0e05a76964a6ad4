package handlers_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/bot/teams/teamstest"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestSlackRequestsNotUTF8: a signed request with bytes that are not
// UTF-8 in a form value or its JSON body is a 400 naming the field (Go's
// decoders would have turned them into U+FFFD unseen), and nothing is
// done: no lead is claimed, no rep's state is written.
func TestSlackRequestsNotUTF8(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		r := newSlackRig(t, s, nil)
		lead := r.announced(t, "utf8-1")
		tests := []struct{ name, path, body, field string }{
			{"command text", "/slack/commands", url.Values{"command": {"/leads"}, "text": {"why \xff"}, "user_id": {"UREP"}, "channel_id": {"C1"},
				"response_url": {r.slack.ResponseURL("f")}}.Encode(), `\"text\"`},
			{"click value", "/slack/interactions", withRawBytes(t, slacktest.ClickPayload("UREP", salesChannel, "1700000000.000001", "lead.claim",
				fmt.Sprint(lead.ID)+"RAW", r.slack.ResponseURL("UREP")), "RAW", "\xfe"), `\"payload\"`},
			{"click user", "/slack/interactions", withRawBytes(t, slacktest.ClickPayload("URAWP", salesChannel, "1700000000.000001", "lead.claim",
				fmt.Sprint(lead.ID), r.slack.ResponseURL("UREP")), "RAW", "\xc3"), `\"payload\"`},
			{"event", "/slack/events", `{"type":"event_callback","team_id":"T0001","event_id":"EvUTF8","event_time":1700000000,"event":{"type":"user_change","user":{"id":"UREP7","team_id":"T0001","deleted":true,"profile":{"status_text":"Out ` + "\xff" + `"}}}}`, "body"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				status, body := r.send(t, tc.path, signingSecret, time.Now(), tc.body)
				if status != 400 || !strings.Contains(body, tc.field) || !strings.Contains(body, "not valid UTF-8") {
					t.Fatalf("status %d, %s; want 400 naming %s as not UTF-8", status, body, tc.field)
				}
			})
		}
		got, err := s.Lead(t.Context(), lead.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Owner.UserID != "" {
			t.Errorf("the lead was claimed by %q", got.Owner.UserID)
		}
		states, err := s.RepStates(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if len(states) != 0 {
			t.Errorf("rep states after refused requests: %+v", states)
		}
	})
}

// withRawBytes is the form body with mark in its payload replaced by raw,
// bytes that JSON encoding would have turned into U+FFFD.
func withRawBytes(t *testing.T, body, mark, raw string) string {
	t.Helper()
	form, err := url.ParseQuery(body)
	if err != nil || !strings.Contains(form.Get("payload"), mark) {
		t.Fatalf("payload without %q: %v", mark, err)
	}
	form.Set("payload", strings.ReplaceAll(form.Get("payload"), mark, raw))
	return form.Encode()
}

// TestTeamsActivityNotUTF8: an authenticated activity with bytes that are
// not UTF-8 is a 400 saying so, and nothing of it is stored (the user it
// names is not recorded).
func TestTeamsActivityNotUTF8(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		e := newTeamsEnv(t, s, nil)
		e.install()
		a := e.activity("message", "29:utf8", "RAW", "a:utf8-dm")
		a["text"] = "leads mine"
		raw, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		raw = bytes.Replace(raw, []byte("RAW"), []byte("Ri\xfeta"), 1)
		status, body := teamstest.PostRaw(t, e.srv.URL, raw, e.token())
		if status != 400 || !strings.Contains(string(body), "not valid UTF-8") {
			t.Fatalf("status %d, %s; want 400: not valid UTF-8", status, body)
		}
		if _, err := s.TeamsUser(t.Context(), "29:utf8"); handoff.ErrorCode(err) != handoff.ENOTFOUND {
			t.Errorf("the activity's user was stored: %v", err)
		}
	})
}
