package config

import (
	"cmp"
	"fmt"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/internal/redact"
)

// Agreement is what the agreement file (handoff.yml) says: the SLA policy
// and targets both departments promised, the chat channels, the Salesforce
// status table and the outgoing webhooks. LoadAgreement reads it.
type Agreement struct {
	// Policy is the SLA rules and targets, as the domain uses them.
	Policy handoff.Policy
	Channels
	// SalesforceStatus maps Salesforce Lead Status values to stages: the
	// standard picklist's defaults, with the file's salesforce.status over them.
	SalesforceStatus map[string]handoff.Stage
	// Webhooks are the endpoints told about events.
	Webhooks []Webhook
}

// Webhook is one endpoint of outgoing webhooks.
type Webhook struct {
	URL    string
	Events []handoff.WebhookEvent
	// SecretEnv names the environment variable holding the endpoint's
	// whsec_ secret; "" means HANDOFF_WEBHOOK_SECRET.
	SecretEnv string
}

// String shows the endpoint as redact.Webhook shows its URL.
func (w Webhook) String() string {
	return fmt.Sprintf("{%s %v secret_env %s}", redact.Webhook(w.URL), w.Events, cmp.Or(w.SecretEnv, "HANDOFF_WEBHOOK_SECRET"))
}

// Format prints String, whatever the verb.
func (w Webhook) Format(f fmt.State, _ rune) { io.WriteString(f, w.String()) }

// MarshalText is String, for encoding/json and slog's handlers.
func (w Webhook) MarshalText() ([]byte, error) { return []byte(w.String()), nil }

// DefaultSalesforceStatus maps the standard Lead Status picklist.
func DefaultSalesforceStatus() map[string]handoff.Stage {
	return map[string]handoff.Stage{
		"Open - Not Contacted":   handoff.StageSQL,
		"Working - Contacted":    handoff.StageContacted,
		"Closed - Converted":     handoff.StageOpportunity,
		"Closed - Not Converted": handoff.StageLost,
	}
}

type salesforceFile struct {
	Status yaml.Node `yaml:"status"`
}

type webhookFile struct {
	URL       yaml.Node `yaml:"url"`
	Events    yaml.Node `yaml:"events"`
	SecretEnv yaml.Node `yaml:"secret_env"`
}

// salesforce reads the salesforce section.
func (b *agreementBuilder) salesforce(f *salesforceFile) map[string]handoff.Stage {
	table := DefaultSalesforceStatus()
	if f == nil || absent(&f.Status) {
		return table
	}
	if f.Status.Kind != yaml.MappingNode {
		b.errorf("salesforce.status", "line %d: want a map of Lead Status to stage, got %s", f.Status.Line, kindName(&f.Status))
		return table
	}
	for i := 0; i+1 < len(f.Status.Content); i += 2 {
		k, v := f.Status.Content[i], f.Status.Content[i+1]
		path := fmt.Sprintf("salesforce.status[%q]", k.Value)
		s, ok := b.scalar(path, v)
		if !ok {
			continue
		}
		st, err := handoff.ParseStage(s)
		if err != nil {
			b.errorf(path, "line %d: %v", v.Line, err)
			continue
		}
		table[k.Value] = st
	}
	return table
}

// webhooks reads the webhooks list.
func (b *agreementBuilder) webhooks(n *yaml.Node) []Webhook {
	if absent(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		b.errorf("webhooks", "line %d: want a list of {url, events, secret_env}, got %s", n.Line, kindName(n))
		return nil
	}
	var out []Webhook
	for i, item := range n.Content {
		path := fmt.Sprintf("webhooks[%d]", i)
		var f webhookFile
		if item.Kind == yaml.MappingNode {
			for j := 0; j+1 < len(item.Content); j += 2 {
				if k := item.Content[j].Value; k != "url" && k != "events" && k != "secret_env" {
					b.errorf(path, "line %d: unknown key %q", item.Content[j].Line, k)
				}
			}
		}
		if err := item.Decode(&f); err != nil {
			b.errorf(path, "line %d: want {url, events, secret_env}: %v", item.Line, err)
			continue
		}
		w := Webhook{}
		if u, ok := b.scalar(path+".url", &f.URL); !ok {
			b.errorf(path+".url", "required")
		} else if err := checkHTTPURL(u); err != nil {
			b.errorf(path+".url", "invalid URL %q: %v", redact.Webhook(u), err)
		} else {
			w.URL = u
		}
		if names, ok := b.list(path+".events", &f.Events); !ok && absent(&f.Events) {
			b.errorf(path+".events", "required: a list of %s", eventNames())
		} else {
			for _, name := range names {
				if name == "*" {
					w.Events = append(w.Events, handoff.WebhookEvents...)
					continue
				}
				ev, err := handoff.ParseWebhookEvent(name)
				if err != nil {
					b.errorf(path+".events", "%v; known: %s", err, eventNames())
					continue
				}
				w.Events = append(w.Events, ev)
			}
		}
		w.SecretEnv, _ = b.scalar(path+".secret_env", &f.SecretEnv)
		out = append(out, w)
	}
	return out
}

func eventNames() string {
	names := make([]string, len(handoff.WebhookEvents))
	for i, e := range handoff.WebhookEvents {
		names[i] = string(e)
	}
	return strings.Join(names, ", ") + " or *"
}
