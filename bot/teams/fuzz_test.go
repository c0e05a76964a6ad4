package teams_test

import (
	"testing"

	"github.com/handoff/handoff"
	teamsbot "github.com/handoff/handoff/bot/teams"
)

// FuzzDecodeActivity feeds arbitrary bodies to the activity decoder: it
// must never panic, what it accepts must have a type, and what it refuses
// is an EINVALID error naming one field (the endpoint's 400).
func FuzzDecodeActivity(f *testing.F) {
	f.Add([]byte(`{"type":"message","text":"funnel month","value":{"action":"lead.claim","value":"1"}}`))
	f.Add([]byte(`{"type":"invoke","name":"adaptiveCard/action","value":"not an object"}`))
	f.Add([]byte(`{"type":"conversationUpdate","channelData":{"team":{"id":"19:x"}},"timestamp":12}`))
	f.Add([]byte(`{"type":""}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		a, err := teamsbot.DecodeActivity(body)
		if err != nil {
			if handoff.ErrorCode(err) != handoff.EINVALID || len(handoff.ErrorFields(err)) != 1 {
				t.Fatalf("refused with %v (code %s, fields %v), want EINVALID naming one field", err, handoff.ErrorCode(err), handoff.ErrorFields(err))
			}
			return
		}
		if a.Type == "" {
			t.Fatal("accepted an activity without type")
		}
		_ = a.TeamsChannelData()
		_ = a.TenantID()
	})
}
