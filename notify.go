package handoff

import (
	"fmt"
	"strings"
	"time"
)

// WebhookEvent is the type of an event Handoff tells other systems about
// through outgoing webhooks.
type WebhookEvent string

// Webhook event types.
const (
	WebhookAnnounced    WebhookEvent = "lead.announced"     // the lead became an SQL and is offered to sales
	WebhookClaimed      WebhookEvent = "lead.claimed"       // a rep claimed it (or a manager reassigned it)
	WebhookReleased     WebhookEvent = "lead.released"      // the owner gave it back
	WebhookContacted    WebhookEvent = "lead.contacted"     // the owner logged first contact
	WebhookStageChanged WebhookEvent = "lead.stage_changed" // opportunity, won (with amount), lost or recycled (with reason)
	WebhookReminded     WebhookEvent = "sla.reminded"       // the owner was reminded of a deadline
	WebhookBreached     WebhookEvent = "sla.breached"       // an SLA deadline passed
	WebhookErased       WebhookEvent = "lead.erased"        // the lead's personal data was erased
	// WebhookTest is sent by "handoff webhooks test" only.
	WebhookTest WebhookEvent = "webhook.test"
)

// WebhookEvents lists the event types an endpoint can subscribe to.
var WebhookEvents = []WebhookEvent{WebhookAnnounced, WebhookClaimed, WebhookReleased, WebhookContacted,
	WebhookStageChanged, WebhookReminded, WebhookBreached, WebhookErased}

// ParseWebhookEvent returns the subscribable event type named s, or an error.
func ParseWebhookEvent(s string) (WebhookEvent, error) {
	for _, e := range WebhookEvents {
		if string(e) == s {
			return e, nil
		}
	}
	return "", fmt.Errorf("unknown webhook event %q", s)
}

// WebhookEventOf says which webhook event a lead event is, if any. Stages a
// transition only implied (entered on the way to a later one) are not told.
func WebhookEventOf(e Event) (WebhookEvent, bool) {
	if e.Details["implied"] == "true" {
		return "", false
	}
	switch e.Kind {
	case EventStage:
		switch e.Stage {
		case StageSQL:
			return WebhookAnnounced, true
		case StageClaimed:
			return WebhookClaimed, true
		case StageContacted:
			return WebhookContacted, true
		case StageOpportunity, StageWon, StageLost, StageRecycled:
			return WebhookStageChanged, true
		}
	case EventReassign:
		return WebhookClaimed, true
	case EventRelease:
		return WebhookReleased, true
	case EventReminder:
		return WebhookReminded, true
	case EventBreach:
		return WebhookBreached, true
	case EventErased:
		return WebhookErased, true
	}
	return "", false
}

// OutboxWebhook delivers one event to one webhook endpoint; its Platform
// is the endpoint's key and its payload a WebhookNotice. It has a lane of
// its own, so a slow endpoint never delays chat.
const OutboxWebhook = "webhook"

// WebhookRoute says which events an endpoint, named by Key, is told.
type WebhookRoute struct {
	Key    string
	Events []WebhookEvent
}

// Wants reports whether the route subscribes to ev.
func (r WebhookRoute) Wants(ev WebhookEvent) bool {
	for _, e := range r.Events {
		if e == ev {
			return true
		}
	}
	return false
}

// WebhookNotice is the payload of an OutboxWebhook message: the event as it
// happened. The lead itself is read when the message is delivered, so an
// erased lead is never sent with its personal data.
type WebhookNotice struct {
	// ID is the webhook-id: unique per event and endpoint, the same on
	// every retry.
	ID      string            `json:"id"`
	Type    WebhookEvent      `json:"type"`
	At      time.Time         `json:"at"`
	Actor   string            `json:"actor"`
	Stage   Stage             `json:"stage"`
	Details map[string]string `json:"details,omitempty"`
}

// keptAfterErasure are the event detail keys that hold no personal data
// and survive an erasure (in the lead's events and its webhook messages).
var keptAfterErasure = map[string]bool{"implied": true, "deadline": true, "due": true, "late": true, "owner": true,
	"reason_code": true, "not_a_fit": true, "score": true}

// KeptAfterErasure reports whether an erasure keeps an event detail key.
func KeptAfterErasure(key string) bool { return keptAfterErasure[key] }

// ErasedIDDetail is the detail of a lead.erased webhook message that names
// the external id the lead had before its erasure (a CRM's record id), so
// that the endpoint, which earlier messages told of the lead by that id,
// can find and erase what it holds of the person (GDPR Art. 19). An id
// that is an email address is not told (IsEmailID): the endpoint has the
// lead's id (data.lead.id), which every earlier message carried too. The
// message keeps it until it is delivered, or dropped while dead: a dead
// one retried tells it too (ErasedID).
const ErasedIDDetail = "external_id"

// IsEmailID reports whether an external id is an email address, which a
// lead.erased message does not repeat (ErasedIDDetail).
func IsEmailID(externalID string) bool { return strings.Contains(externalID, "@") }

// ErasedID returns the erased lead's former id that n carries
// (ErasedIDDetail), "" when it carries none.
func (n WebhookNotice) ErasedID() string {
	if n.Type != WebhookErased {
		return ""
	}
	return n.Details[ErasedIDDetail]
}

// Erased returns n as an erasure leaves it: only the details
// KeptAfterErasure keeps (a reason, a note, free text, goes).
func (n WebhookNotice) Erased() WebhookNotice {
	kept := map[string]string{}
	for k, v := range n.Details {
		if KeptAfterErasure(k) {
			kept[k] = v
		}
	}
	n.Details = kept
	return n
}
