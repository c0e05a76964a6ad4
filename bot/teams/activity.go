package teams

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/handoff/handoff"
)

// Activity is an inbound Bot Framework activity. It is schema.Activity
// with the fields that the library types too narrowly kept as raw JSON:
// Value (an Action.Submit's data may be any JSON, not only an object),
// ChannelData (decoded by TeamsChannelData) and the timestamps (a malformed
// one must not make the whole activity unreadable).
type Activity struct {
	schema.Activity
	Value       json.RawMessage `json:"value,omitempty"`
	ChannelData json.RawMessage `json:"channelData,omitempty"`
	// Entities are kept raw: the library's Entity has only a type, and
	// mentions (Mentions) need their text and the user mentioned.
	Entities       json.RawMessage `json:"entities,omitempty"`
	Timestamp      json.RawMessage `json:"timestamp,omitempty"`
	LocalTimestamp json.RawMessage `json:"localTimestamp,omitempty"`
	Expiration     json.RawMessage `json:"expiration,omitempty"`
}

// DecodeActivity decodes an activity body. Anything but a JSON object with
// a type is an EINVALID error naming the field at fault, as the intake
// names its fields: "body" for a body that is not one JSON object, the
// field for a value of the wrong kind ("from.id": a number where a string
// is wanted), "type" for an activity without one, each id longer than
// the store keeps or holding a control character, each name or service
// URL longer than the store keeps, and a submitted form's id or state
// not as Handoff made it (checkSizes).
func DecodeActivity(body []byte) (*Activity, error) {
	var a Activity
	err := json.Unmarshal(body, &a)
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return nil, invalidActivity("body", fmt.Sprintf("invalid JSON at byte %d: %v", syn.Offset, syn))
	case !bytes.HasPrefix(bytes.TrimLeft(body, " \t\r\n"), []byte("{")):
		return nil, invalidActivity("body", "must be one JSON object")
	case errors.As(err, &typ) && typ.Field != "":
		// encoding/json names a field of the embedded schema.Activity
		// after it too ("Activity.from.id"); the sender knows "from.id".
		field := strings.TrimPrefix(typ.Field, "Activity.")
		return nil, invalidActivity(field, fmt.Sprintf("must be %s, not %s", wantedJSON(typ.Type), typ.Value))
	case err != nil:
		return nil, invalidActivity("body", err.Error())
	case a.Type == "":
		return nil, invalidActivity("type", "required")
	}
	if err := a.checkSizes(); err != nil {
		return nil, err
	}
	return &a, nil
}

// invalidActivity is DecodeActivity's error: field is not as an activity
// has it, for the reason why.
func invalidActivity(field, why string) error {
	return handoff.Invalid("invalid activity", map[string]string{field: why})
}

// wantedJSON names the JSON value that a Go value of type t is decoded
// from: "a string", "an object".
func wantedJSON(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "of another kind"
}

// ChannelData is the Teams part of an activity's channelData.
type ChannelData struct {
	EventType string `json:"eventType"`
	Tenant    struct {
		ID string `json:"id"`
	} `json:"tenant"`
	Team struct {
		ID         string `json:"id"`
		Name       string `json:"name"`
		AADGroupID string `json:"aadGroupId"` // the team's Microsoft 365 group (conversationUpdate)
	} `json:"team"`
	Channel struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"channel"`
}

// TeamsChannelData decodes the activity's channelData; anything unreadable
// is left empty.
func (a *Activity) TeamsChannelData() ChannelData {
	var cd ChannelData
	if len(a.ChannelData) > 0 {
		_ = json.Unmarshal(a.ChannelData, &cd)
	}
	return cd
}

// TenantID is the activity's tenant: from channelData, else from the
// conversation.
func (a *Activity) TenantID() string {
	if t := a.TeamsChannelData().Tenant.ID; t != "" {
		return t
	}
	return a.Conversation.TenantID
}

// actionData is what a card action carries: {action, value} for a lead
// button, plus form, state and in_* inputs for a form submission.
type actionData map[string]any

// str returns a data field as a string ("" when missing; numbers as
// written).
func (d actionData) str(key string) string {
	switch v := d[key].(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case float64:
		return fmt.Sprint(v)
	case bool:
		return fmt.Sprint(v)
	}
	return ""
}

// decodeData decodes raw JSON that must be an object; any other JSON
// (a string, a number, null) gives an error instead of a panic.
func decodeData(raw json.RawMessage) (actionData, error) {
	var d actionData
	if err := json.Unmarshal(raw, &d); err != nil || d == nil {
		return nil, fmt.Errorf("teams: card data is not an object: %s", snippet(raw))
	}
	return d, nil
}

// invokeData returns the data of an adaptiveCard/action invoke, whose value
// is {"action": {"type": "Action.Execute", "verb": …, "data": {…}}}; the
// verb fills in a missing data.action.
func invokeData(raw json.RawMessage) (actionData, error) {
	var v struct {
		Action struct {
			Verb string          `json:"verb"`
			Data json.RawMessage `json:"data"`
		} `json:"action"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("teams: invoke value: %w", err)
	}
	d := actionData{}
	if len(v.Action.Data) > 0 && string(v.Action.Data) != "null" {
		var err error
		if d, err = decodeData(v.Action.Data); err != nil {
			return nil, err
		}
	}
	if d.str("action") == "" && v.Action.Verb != "" {
		d["action"] = v.Action.Verb
	}
	return d, nil
}

// ActionID returns the card action a click carries (an adaptiveCard/action
// invoke, or an Action.Submit message), or "" for anything else.
func (a *Activity) ActionID() string {
	d, _ := a.cardData()
	return d.str("action")
}

// cardData returns the data a click carries (an adaptiveCard/action
// invoke, or an Action.Submit message) and the name of its place in the
// activity ("value.action.data", "value"), or nil for anything else or
// data that cannot be read.
func (a *Activity) cardData() (actionData, string) {
	switch {
	case a.Type == "invoke" && a.Name == "adaptiveCard/action":
		if d, err := invokeData(a.Value); err == nil {
			return d, "value.action.data"
		}
	case a.Type == "message" && len(a.Value) > 0:
		if d, err := decodeData(a.Value); err == nil {
			return d, "value"
		}
	}
	return nil, ""
}

// ChannelTeams is the channelId of every activity from Microsoft Teams.
const ChannelTeams = "msteams"

// CheckOrigin refuses an activity that did not come from Microsoft Teams
// in one of tenants (compared case-insensitively): another Bot Framework
// channel (Web Chat, the emulator …), a tenant that is not ours, or an
// activity naming two different tenants. It returns an EFORBIDDEN error
// saying why; no tenant at all is refused too.
func (a *Activity) CheckOrigin(tenants []string) error {
	if a.ChannelID != ChannelTeams {
		return handoff.Errorf(handoff.EFORBIDDEN, "teams: activities from channel %q are not accepted, only from %q", a.ChannelID, ChannelTeams)
	}
	fromData, fromConv := a.TeamsChannelData().Tenant.ID, a.Conversation.TenantID
	if fromData != "" && fromConv != "" && !strings.EqualFold(fromData, fromConv) {
		return handoff.Errorf(handoff.EFORBIDDEN, "teams: activity names two tenants (%q and %q)", fromData, fromConv)
	}
	tenant := a.TenantID()
	for _, t := range tenants {
		if tenant != "" && strings.EqualFold(strings.TrimSpace(t), tenant) {
			return nil
		}
	}
	return handoff.Errorf(handoff.EFORBIDDEN, "teams: activities from tenant %q are not accepted", tenant)
}
