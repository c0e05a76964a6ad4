package storage

import (
	"slices"

	"github.com/handoff/handoff"
	"gorm.io/gorm"
)

// shownLead is a lead that recorded outcomes' Shown change: as read under
// its lock, decoded, or why it could not be.
type shownLead struct {
	row  leadRow
	lead *handoff.Lead
	err  error
}

// lockShown reads, and on PostgreSQL locks (FOR UPDATE, in the order of
// their ids, as a batch of claims, intake and an erasure lock leads:
// lockLeadRowsByID), the leads of the outcomes that have a Shown. They are
// locked before any outbox row, chat post or lead message of the record:
// an erasure locks its leads and then updates their outbox rows
// (scrubOutbox), so a record that held an outbox row while it waited for
// a lead could deadlock with it. A lead that is gone or does not decode
// is returned with its error, to be left unchanged.
func lockShown(tx *gorm.DB, outcomes []handoff.OutboxOutcome) (map[int64]*shownLead, error) {
	var ids []int64
	for _, o := range outcomes {
		if o.Shown != nil && !slices.Contains(ids, o.Message.LeadID) {
			ids = append(ids, o.Message.LeadID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	slices.Sort(ids)
	rows, err := lockLeadRowsByID(tx, ids)
	if err != nil {
		return nil, err
	}
	leads := make(map[int64]*shownLead, len(ids))
	for _, id := range ids {
		leads[id] = &shownLead{err: notFound("lead %d not found", id)}
	}
	for _, r := range rows {
		l, err := r.toLead()
		leads[r.ID] = &shownLead{row: r, lead: l, err: err}
	}
	return leads, nil
}

// recordShown applies the Shown of each outcome recorded in tx (errs[i]
// nil) to its lead, locked by lockShown, and writes each lead that changed
// as UpdateLead would (writeLeadChange), once, at its last outcome's time.
// An outcome whose lead could not be read gets a handoff.ShownError; a
// failed write is returned.
func (s *Store) recordShown(tx *gorm.DB, outcomes []handoff.OutboxOutcome, errs []error, leads map[int64]*shownLead) error {
	changed := map[int64]*handoff.OutboxOutcome{} // lead → its last outcome that changed it
	var order []int64
	for i := range outcomes {
		o := &outcomes[i]
		if o.Shown == nil || errs[i] != nil {
			continue
		}
		sl := leads[o.Message.LeadID]
		if sl.err != nil {
			errs[i] = &handoff.ShownError{LeadID: o.Message.LeadID, Err: sl.err}
			continue
		}
		if !o.Shown(sl.lead) {
			continue
		}
		if changed[sl.row.ID] == nil {
			order = append(order, sl.row.ID)
		}
		changed[sl.row.ID] = o
	}
	slices.Sort(order)
	for _, id := range order {
		sl := leads[id]
		if _, err := s.writeLeadChange(tx, sl.row, sl.lead, handoff.LeadChange{}, changed[id].At); err != nil {
			return err
		}
	}
	return nil
}
