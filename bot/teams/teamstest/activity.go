package teamstest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Team is the Teams team that activities come from, as the Bot Framework
// sends them to the bot's endpoint.
type Team struct {
	Tenant     string // the tenant id
	ID, Name   string // the team's id (its General channel) and name
	GroupID    string // the team's Microsoft 365 group id, sent as aadGroupId in team member events; "" for none
	BotID      string // the bot's id, "28:" + AppID
	ServiceURL string // the fake's ServiceURL
}

var activityIDs atomic.Int64

// Activity is an activity of type typ from user (display name name) in
// conversation: a personal chat when conversation starts with "a:", else a
// channel of the team. Each activity has a new id.
func (tm Team) Activity(typ, user, name, conversation string) map[string]any {
	convType := "channel"
	if strings.HasPrefix(conversation, "a:") {
		convType = "personal"
	}
	return map[string]any{
		"type": typ, "id": fmt.Sprintf("act-%d", activityIDs.Add(1)), "channelId": "msteams", "serviceUrl": tm.ServiceURL,
		"timestamp":    time.Now().UTC().Format(time.RFC3339Nano),
		"from":         map[string]any{"id": user, "name": name, "aadObjectId": "aad-" + strings.TrimPrefix(user, "29:")},
		"recipient":    map[string]any{"id": tm.BotID, "name": "Handoff"},
		"conversation": map[string]any{"id": conversation, "conversationType": convType, "tenantId": tm.Tenant, "isGroup": convType == "channel"},
		"channelData":  map[string]any{"tenant": map[string]any{"id": tm.Tenant}, "team": map[string]any{"id": tm.ID, "name": tm.Name}},
	}
}

// Installed is the conversationUpdate Teams sends when the app is added to
// the team (in its General channel).
func (tm Team) Installed() map[string]any { return tm.MemberAdded(tm.BotID) }

// Removed is the conversationUpdate Teams sends when the app is removed
// from the team (its bot leaves the team's members).
func (tm Team) Removed() map[string]any { return tm.MemberRemoved(tm.BotID) }

// MemberAdded is the conversationUpdate Teams sends when user (or the
// bot) is added to the team.
func (tm Team) MemberAdded(user string) map[string]any {
	return tm.membersChanged("membersAdded", "teamMemberAdded", user)
}

// MemberRemoved is the conversationUpdate Teams sends when user (or the
// bot) is removed from the team.
func (tm Team) MemberRemoved(user string) map[string]any {
	return tm.membersChanged("membersRemoved", "teamMemberRemoved", user)
}

func (tm Team) membersChanged(field, eventType, user string) map[string]any {
	a := tm.Activity("conversationUpdate", "29:admin", "Admin", tm.ID)
	a[field] = []any{map[string]any{"id": user}}
	cd := a["channelData"].(map[string]any)
	cd["eventType"] = eventType
	if tm.GroupID != "" { // Teams names the team's group in its member events
		cd["team"].(map[string]any)["aadGroupId"] = tm.GroupID
	}
	return a
}

// ChannelCreated is the conversationUpdate for a new channel of the team.
func (tm Team) ChannelCreated(id, name string) map[string]any {
	a := tm.Activity("conversationUpdate", "29:admin", "Admin", tm.ID)
	cd := a["channelData"].(map[string]any)
	cd["eventType"], cd["channel"] = "channelCreated", map[string]any{"id": id, "name": name}
	return a
}

// ChannelRestored is the conversationUpdate for a deleted channel of the
// team restored.
func (tm Team) ChannelRestored(id, name string) map[string]any {
	a := tm.ChannelCreated(id, name)
	a["channelData"].(map[string]any)["eventType"] = "channelRestored"
	return a
}

// ChannelDeleted is the conversationUpdate for a channel of the team deleted.
func (tm Team) ChannelDeleted(id, name string) map[string]any {
	a := tm.ChannelCreated(id, name)
	a["channelData"].(map[string]any)["eventType"] = "channelDeleted"
	return a
}

// Post sends activity to base's POST /api/messages with token ("" for
// none) and returns the status and the body.
func Post(tb testing.TB, base string, activity map[string]any, token string) (int, []byte) {
	tb.Helper()
	raw, err := json.Marshal(activity)
	if err != nil {
		tb.Fatal(err)
	}
	return PostRaw(tb, base, raw, token)
}

// PostRaw is Post of a body as it is (bytes JSON encoding would change).
// Like Teams, it takes no invoke answer over MaxMessageBytes: an invoke
// activity answered with a larger body fails the test (Teams shows the
// user an error instead of the card).
func PostRaw(tb testing.TB, base string, raw []byte, token string) (int, []byte) {
	tb.Helper()
	req, err := http.NewRequest("POST", base+"/api/messages", bytes.NewReader(raw))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	var sent struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(raw, &sent) == nil && sent.Type == "invoke" && len(body) > MaxMessageBytes {
		tb.Errorf("teamstest: an invoke answered with %d bytes, more than Teams takes (%d, MaxMessageBytes): %.200s…", len(body), MaxMessageBytes, body)
	}
	return resp.StatusCode, body
}
