package slacktest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// What Slack sends to Handoff: requests signed as Slack signs them, and the
// bodies of clicks, form submissions and slash commands.

// Sign returns the X-Slack-Signature Slack sends for body at timestamp ts:
// "v0=" + hex(HMAC-SHA256(secret, "v0:{ts}:{body}")).
func Sign(secret string, ts time.Time, body string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%d:%s", ts.Unix(), body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// SignedRequest builds a POST to target signed with secret at ts, as Slack
// builds it (form-encoded unless body starts with "{").
func SignedRequest(target, secret string, ts time.Time, body string) *http.Request {
	req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(body))
	if strings.HasPrefix(body, "{") {
		req.Header.Set("Content-Type", "application/json")
	} else {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set("X-Slack-Signature", Sign(secret, ts, body))
	req.RequestURI = "" // usable with an http.Client too
	return req
}

// ClickPayload is the form body of a block_actions interaction: user
// clicked the button actionID with value on message ts in channel.
func ClickPayload(user, channel, ts, actionID, value, responseURL string) string {
	p := map[string]any{
		"type":         "block_actions",
		"user":         map[string]any{"id": user, "name": strings.ToLower(user)},
		"api_app_id":   "A0001",
		"team":         map[string]any{"id": TeamID},
		"container":    map[string]any{"type": "message", "message_ts": ts, "channel_id": channel},
		"channel":      map[string]any{"id": channel},
		"message":      map[string]any{"ts": ts},
		"trigger_id":   "trigger-" + user,
		"response_url": responseURL,
		"actions": []any{map[string]any{
			"type": "button", "action_id": actionID, "block_id": "lead_actions", "value": value,
			"action_ts": "1700000000.000001",
		}},
	}
	b, _ := json.Marshal(p)
	return url.Values{"payload": {string(b)}}.Encode()
}

// SubmitPayload is the form body of a view_submission: user submitted the
// modal callbackID with privateMetadata and the answers (block id = action
// id = key; a key starting with "user:" is a users_select, one starting
// with "select:" a static_select pick, any other a plain text input).
func SubmitPayload(user, callbackID, privateMetadata string, answers map[string]string) string {
	values := map[string]any{}
	for k, v := range answers {
		if id, ok := strings.CutPrefix(k, "user:"); ok {
			values[id] = map[string]any{id: map[string]any{"type": "users_select", "selected_user": v}}
			continue
		}
		if id, ok := strings.CutPrefix(k, "select:"); ok {
			values[id] = map[string]any{id: map[string]any{"type": "static_select",
				"selected_option": map[string]any{"value": v, "text": map[string]any{"type": "plain_text", "text": v}}}}
			continue
		}
		values[k] = map[string]any{k: map[string]any{"type": "plain_text_input", "value": v}}
	}
	p := map[string]any{
		"type": "view_submission",
		"user": map[string]any{"id": user},
		"team": map[string]any{"id": TeamID},
		"view": map[string]any{"id": "V1", "type": "modal", "callback_id": callbackID, "private_metadata": privateMetadata,
			"state": map[string]any{"values": values}},
	}
	b, _ := json.Marshal(p)
	return url.Values{"payload": {string(b)}}.Encode()
}

// CommandBody is the form body of a slash command.
func CommandBody(user, channel, command, text, responseURL string) string {
	return url.Values{
		"command": {command}, "text": {text}, "user_id": {user}, "channel_id": {channel},
		"team_id": {TeamID}, "response_url": {responseURL}, "trigger_id": {"trigger-" + user},
	}.Encode()
}

// GroupEvent is the Events API body Slack sends when the members of user
// group change (subteam_members_changed).
func GroupEvent(eventID, group string, added, removed []string) string {
	p := map[string]any{
		"token": "XXYYZZ", "team_id": TeamID, "api_app_id": "A0001", "type": "event_callback",
		"event_id": eventID, "event_time": 1700000000,
		"event": map[string]any{"type": "subteam_members_changed", "subteam_id": group, "team_id": TeamID,
			"date_previous_update": 1699990000, "date_update": 1700000000,
			"added_users": added, "added_users_count": fmt.Sprint(len(added)),
			"removed_users": removed, "removed_users_count": fmt.Sprint(len(removed))},
	}
	b, _ := json.Marshal(p)
	return string(b)
}

// BotUserID is the bot's user id in the fake workspace (auth.test's user_id).
const BotUserID = "UBOT"

// ChannelEvent is the Events API body Slack sends when user joins
// (member_joined_channel) or leaves (member_left_channel) channel, or
// archives it (channel_archive, group_archive) or unarchives it.
func ChannelEvent(eventID, typ, user, channel string) string {
	p := map[string]any{
		"token": "XXYYZZ", "team_id": TeamID, "api_app_id": "A0001", "type": "event_callback",
		"event_id": eventID, "event_time": 1700000000,
		"event": map[string]any{"type": typ, "user": user, "channel": channel, "channel_type": "C",
			"team": TeamID, "event_ts": "1700000000.000100"},
	}
	b, _ := json.Marshal(p)
	return string(b)
}
