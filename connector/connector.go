// Package connector holds what the CRM connectors (hubspot, salesforce)
// share: the store they save leads through and the rule that a CRM whose
// stage is behind Handoff's still updates the lead's fields.
package connector

import (
	"context"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
)

// Store is what a connector needs from storage.
type Store interface {
	SaveLead(ctx context.Context, in handoff.LeadInput, policy handoff.Policy, now time.Time, actor string) (storage.SaveResult, error)
}

// Save stores one lead from a CRM. A CRM often lags behind chat (the lead
// was claimed in Slack while the CRM still says "SQL"), so a stage that
// would move the lead backwards is not an error here: the other fields are
// saved and the stage Handoff already has is kept, and kept reports that.
// Any other error is returned as it is.
func Save(ctx context.Context, store Store, in handoff.LeadInput, policy handoff.Policy, now time.Time, actor string) (res storage.SaveResult, kept bool, err error) {
	res, err = store.SaveLead(ctx, in, policy, now, actor)
	if handoff.ErrorCode(err) != handoff.ECONFLICT || in.Stage == "" {
		return res, false, err
	}
	in.Stage, in.Reason, in.OccurredAt = "", "", nil
	res, err = store.SaveLead(ctx, in, policy, now, actor)
	return res, err == nil, err
}
