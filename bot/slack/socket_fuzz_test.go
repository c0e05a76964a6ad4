package slack_test

import (
	"encoding/json"
	"net/url"
	"testing"

	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	slackbot "github.com/handoff/handoff/bot/slack"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/storage/storagetest"
)

// FuzzSocketModeEnvelope decodes arbitrary Socket Mode frames as slack-go's
// client does before it hands an envelope to the runner, and hands each
// envelope it would hand on to the runner's App (on a real store of
// storagetest.FuzzDialect and the fake Slack) as the runner does: it never panics, the App's error
// is nil or EINVALID (what HTTP answers 400; never an internal error that
// Slack would be sent again), and the answer is one that an
// acknowledgement can carry (JSON).
func FuzzSocketModeEnvelope(f *testing.F) {
	frame := func(typ, payload string) string {
		b, _ := json.Marshal(map[string]any{"envelope_id": "e-1", "type": typ, "payload": json.RawMessage(payload), "accepts_response_payload": typ == "slash_commands"})
		return string(b)
	}
	form := func(body string) string {
		v, _ := url.ParseQuery(body)
		if p := v.Get("payload"); p != "" {
			return p
		}
		m := map[string]string{}
		for k := range v {
			m[k] = v.Get(k)
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
	for _, seed := range []string{
		frame("interactive", form(slacktest.ClickPayload("UREP", salesChannel, "1700000000.000100", bot.ActionClaim, "1", "http://127.0.0.1:1/r"))),
		frame("interactive", form(slacktest.SubmitPayload("UREP", "lead.lost", `{"lead":1}`, map[string]string{"select:reason": "no budget"}))),
		// A form sent with none of its inputs and refused (lead 1 is not
		// there): a view in its place, not an error.
		frame("interactive", form(slacktest.SubmitPayload("UREP", bot.ActionPass, `{"lead":1}`, nil))),
		frame("interactive", `{"type":"block_actions","actions":[]}`),
		frame("interactive", `[]`),
		frame("slash_commands", form(slacktest.CommandBody("U1", "C1", "/funnel", "help", "http://127.0.0.1:1/r"))),
		frame("slash_commands", form(slacktest.CommandBody("U1", "C1", "/leads", "mine", ""))),
		frame("slash_commands", `{"command":7}`),
		frame("events_api", slacktest.ChannelEvent("EvML1", "member_left_channel", "UREP", salesChannel)),
		frame("events_api", `{"type":"event_callback","team_id":"T0001","event_id":"Ev1","event":{"type":"user_change","user":{"id":"UREP","deleted":true}}}`),
		frame("events_api", `{"type":"url_verification","challenge":"c"}`),
		frame("events_api", `"x"`),
		`{"type":"hello"}`,
		`{"type":"disconnect","reason":"refresh_requested"}`,
		`{"envelope_id":"e","type":"interactive"}`,
		`[]`,
	} {
		f.Add([]byte(seed))
	}
	s := storagetest.Open(f, storagetest.FuzzDialect())
	r := newSocketRig(f, s, appToken)
	close(r.release) // a "slow …" command answers at once
	f.Fuzz(func(t *testing.T, raw []byte) {
		typ, req, ok := decodeFrame(raw)
		if !ok {
			return
		}
		answer, _, _, err := slackbot.Respond(r.runner, t.Context(), typ, req.Payload)
		if err != nil && handoff.ErrorCode(err) != handoff.EINVALID {
			t.Fatalf("frame %q: the App failed with %v (%s), want nil or EINVALID", raw, err, handoff.ErrorCode(err))
		}
		if _, err := json.Marshal(socketmode.Response{EnvelopeID: req.EnvelopeID, Payload: answer}); err != nil {
			t.Fatalf("frame %q: the answer %#v cannot be acknowledged: %v", raw, answer, err)
		}
	})
}

// decodeFrame decodes a Socket Mode frame as slack-go's client does
// (socketmode.Client's parseEvent): the envelope, then its payload by its
// type. ok is false for a frame it would not hand to the runner (hello,
// disconnect, a frame or payload it cannot decode, which it reports as
// EventTypeErrorBadMessage).
func decodeFrame(raw []byte) (typ socketmode.EventType, req socketmode.Request, ok bool) {
	if json.Unmarshal(raw, &req) != nil {
		return "", req, false
	}
	switch req.Type {
	case socketmode.RequestTypeEventsAPI:
		_, err := slackevents.ParseEvent(req.Payload, slackevents.OptionNoVerifyToken())
		return socketmode.EventTypeEventsAPI, req, err == nil
	case socketmode.RequestTypeSlashCommands:
		var cmd slackapi.SlashCommand
		return socketmode.EventTypeSlashCommand, req, json.Unmarshal(req.Payload, &cmd) == nil
	case socketmode.RequestTypeInteractive:
		var ic slackapi.InteractionCallback
		return socketmode.EventTypeInteractive, req, json.Unmarshal(req.Payload, &ic) == nil
	}
	return "", req, false
}
