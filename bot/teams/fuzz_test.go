package teams_test

import (
	"testing"

	teamsbot "github.com/handoff/handoff/bot/teams"
)

// FuzzDecodeActivity feeds arbitrary bodies to the activity decoder: it
// must never panic, and what it accepts must have a type.
func FuzzDecodeActivity(f *testing.F) {
	f.Add([]byte(`{"type":"message","text":"funnel month","value":{"action":"lead.claim","value":"1"}}`))
	f.Add([]byte(`{"type":"invoke","name":"adaptiveCard/action","value":"not an object"}`))
	f.Add([]byte(`{"type":"conversationUpdate","channelData":{"team":{"id":"19:x"}},"timestamp":12}`))
	f.Add([]byte(`{"type":""}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		a, err := teamsbot.DecodeActivity(body)
		if err != nil {
			return
		}
		if a.Type == "" {
			t.Fatal("accepted an activity without type")
		}
		_ = a.TeamsChannelData()
		_ = a.TenantID()
	})
}
