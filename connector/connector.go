// Package connector holds what the CRM connectors (hubspot, salesforce)
// share: the rule that a CRM whose stage is behind Handoff's still updates
// the lead's other fields, and the reasons a delivery is refused.
package connector

import (
	"github.com/handoff/handoff"
)

// SaveFunc stores one lead input.
type SaveFunc func(in handoff.LeadInput) (handoff.SaveResult, error)

// Save stores one lead from a CRM through save. A CRM often lags behind chat
// (the lead was claimed in Slack while the CRM still says "SQL"), so a stage
// that would move the lead backwards is not an error here: the other fields
// are saved, the stage Handoff already has is kept, and kept reports that.
// Any other error is returned as it is.
func Save(save SaveFunc, in handoff.LeadInput) (res handoff.SaveResult, kept bool, err error) {
	res, err = save(in)
	if handoff.ErrorCode(err) != handoff.ECONFLICT || in.Stage == "" {
		return res, false, err
	}
	in.Stage, in.Reason, in.OccurredAt, in.ChangedAt = "", "", nil, nil
	res, err = save(in)
	return res, err == nil, err
}

// The reasons a connector refuses a CRM's delivery, as it tells its
// Refused func: neither HubSpot nor Salesforce brings a refused lead back
// by itself (HubSpot does not retry a 4xx; Salesforce retries a fault for
// 24 hours, and the same refusal each time).
const (
	// RefusedAuth: a wrong or stale signature, a wrong token or org, or
	// the connector not configured; nothing of the delivery was read.
	RefusedAuth = "auth"
	// RefusedInvalid: a body that is no delivery, or a record in it that
	// cannot be a lead.
	RefusedInvalid = "invalid"
)

// Refusals lists every reason a delivery is refused.
var Refusals = []string{RefusedAuth, RefusedInvalid}

// RefusedFunc is told the reason of each refused delivery; a nil one is
// told nothing.
type RefusedFunc func(reason string)

// Tell calls f with reason unless f is nil.
func (f RefusedFunc) Tell(reason string) {
	if f != nil {
		f(reason)
	}
}

// The reasons a connector takes a CRM's event (answered 2xx, so the CRM
// does not send it again) and leaves it alone, as it tells its Ignored
// func: none is a fault of the delivery.
const (
	// IgnoredCreation: a record created, an event that carries none of
	// its properties (HubSpot's contact.creation); its lead arrives with
	// the record itself, when the CRM sends it at its stage.
	IgnoredCreation = "creation"
	// IgnoredProperty: a change of a property Handoff does not read.
	IgnoredProperty = "property"
	// IgnoredUnknown: an event about a record Handoff has no lead of,
	// which carries too little to make one (HubSpot's property change or
	// deletion: no name, no email).
	IgnoredUnknown = "unknown"
	// IgnoredStale: an older or repeated state of a record, arriving
	// after a newer one (a retry, a delivery out of order): the newer
	// state stays. A Salesforce notification so ignored may still date
	// earlier the stages the newer one only implied.
	IgnoredStale = "stale"
)

// IgnoredFunc is told the reason of each event taken and left alone; a
// nil one is told nothing.
type IgnoredFunc func(reason string)

// Tell calls f with reason unless f is nil.
func (f IgnoredFunc) Tell(reason string) {
	if f != nil {
		f(reason)
	}
}
