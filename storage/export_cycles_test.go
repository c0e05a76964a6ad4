package storage

import (
	"context"

	"github.com/handoff/handoff"
)

// SLACycles returns the finished SLA cycles kept for lead id, in the order
// they ended: what the SLA figures count besides the lead's current cycle.
func (s *Store) SLACycles(ctx context.Context, id int64) ([]handoff.SLACycle, error) {
	var rows []slaCycleRow
	if err := s.db.WithContext(ctx).Where("lead_id = ?", id).Order("id").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]handoff.SLACycle, len(rows))
	for i, r := range rows {
		out[i] = handoff.SLACycle{Owner: handoff.Owner{Platform: r.OwnerPlatform, UserID: r.OwnerUserID, Email: r.OwnerEmail},
			SQLAt: fromMs(r.SQLMs), ClaimedAt: fromMsPtr(r.ClaimedMs), ContactDueAt: fromMsPtr(r.ContactDueMs), ContactedAt: fromMsPtr(r.ContactedMs), ShownAt: fromMsPtr(r.ShownMs), Reached: r.Reached,
			Holder: slaHolder(r.SLAHeld, r.SLAHolderPlatform, r.SLAHolderUserID, r.SLAHolderEmail)}
	}
	return out, nil
}

// LeadIDs returns the id of every lead, in order.
func (s *Store) LeadIDs(ctx context.Context) ([]int64, error) {
	var ids []int64
	err := s.db.WithContext(ctx).Model(&leadRow{}).Order("id").Pluck("id", &ids).Error
	return ids, err
}
