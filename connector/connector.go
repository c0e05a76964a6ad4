// Package connector holds what the CRM connectors (hubspot, salesforce)
// share: the rule that a CRM whose stage is behind Handoff's still updates
// the lead's other fields.
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
