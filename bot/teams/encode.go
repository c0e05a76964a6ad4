package teams

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/infracloudio/msbotbuilder-go/schema"
)

// zeroTime is how encoding/json writes a zero time.Time.
const zeroTime = `"0001-01-01T00:00:00Z"`

// encodeActivity writes a as JSON without the zero values that
// schema.Activity would otherwise send (zero timestamps and expiration,
// empty objects), stamping the timestamp with now.
func encodeActivity(a schema.Activity, now time.Time) ([]byte, error) {
	m, err := activityFields(a, now)
	if err != nil {
		return nil, err
	}
	return json.Marshal(m)
}

func activityFields(a schema.Activity, now time.Time) (map[string]json.RawMessage, error) {
	if a.Timestamp.IsZero() {
		a.Timestamp = now.UTC()
	}
	raw, err := json.Marshal(a)
	if err != nil {
		return nil, fmt.Errorf("teams: encode activity: %w", err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("teams: encode activity: %w", err)
	}
	for k, v := range m {
		switch k {
		case "attachments", "channelData", "value", "entities":
			continue // content is sent as given
		}
		if pruned, keep := prune(v); keep {
			m[k] = pruned
		} else {
			delete(m, k)
		}
	}
	return m, nil
}

// prune drops what schema types send for unset fields: zero times, empty
// strings, nulls and objects that are empty once pruned. It reports false
// when nothing is left of v.
func prune(v json.RawMessage) (json.RawMessage, bool) {
	switch s := string(bytes.TrimSpace(v)); {
	case s == zeroTime, s == "null", s == `""`, s == "{}":
		return nil, false
	case !strings.HasPrefix(s, "{"):
		return v, true
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(v, &obj); err != nil {
		return v, true
	}
	for k, child := range obj {
		if pruned, keep := prune(child); keep {
			obj[k] = pruned
		} else {
			delete(obj, k)
		}
	}
	if len(obj) == 0 {
		return nil, false
	}
	out, err := json.Marshal(obj)
	if err != nil {
		return v, true
	}
	return out, true
}

// encodeConversationParameters writes p as JSON, its activity cleaned like
// encodeActivity's and left out when empty.
func encodeConversationParameters(p schema.ConversationParameters, now time.Time) ([]byte, error) {
	raw, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("teams: encode conversation: %w", err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("teams: encode conversation: %w", err)
	}
	delete(m, "activity")
	if p.Activity.Type != "" {
		act, err := activityFields(p.Activity, now)
		if err != nil {
			return nil, err
		}
		if m["activity"], err = json.Marshal(act); err != nil {
			return nil, fmt.Errorf("teams: encode conversation: %w", err)
		}
	}
	for k, v := range m {
		if k == "channelData" {
			continue
		}
		if pruned, keep := prune(v); keep {
			m[k] = pruned
		} else {
			delete(m, k)
		}
	}
	if p.IsGroup {
		m["isGroup"] = json.RawMessage("true")
	}
	return json.Marshal(m)
}
