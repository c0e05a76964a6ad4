package storage

import (
	"context"
	"time"

	"github.com/handoff/handoff"
	"gorm.io/gorm"
)

// PutOnlyLead empties the leads table and stores l as it is, every column,
// returning its id: a test puts a lead in any state the rules can meet.
func (s *Store) PutOnlyLead(ctx context.Context, l *handoff.Lead) (int64, error) {
	if err := s.write.WithContext(ctx).Exec("DELETE FROM leads").Error; err != nil {
		return 0, err
	}
	row, err := leadToRow(l)
	if err != nil {
		return 0, err
	}
	row.ID = 0
	row.ErasedMs = msPtr(l.ErasedAt) // leadToRow leaves it to the erasure
	if err := s.write.WithContext(ctx).Create(&row).Error; err != nil {
		return 0, err
	}
	return row.ID, nil
}

// ClaimSQL runs the claim's conditional UPDATE alone on lead id at at, as
// a batch of claims writes it (claimUpdates: its own statement on each
// database), and reports whether it changed the lead.
func (s *Store) ClaimSQL(ctx context.Context, id int64, owner handoff.Owner, at time.Time, p handoff.Policy) (bool, error) {
	var seq int
	if err := s.db.WithContext(ctx).Model(&leadRow{}).Where("id = ?", id).Pluck("offer_seq", &seq).Error; err != nil {
		return false, err
	}
	var won map[int64]bool
	err := s.write.WithContext(ctx).Transaction(func(tx *gorm.DB) (err error) {
		won, err = claimUpdates(tx, []claimUpdate{{item: &claimItem{id: id, owner: owner, at: at, policy: p}, seq: seq}})
		return err
	})
	return won[id], err
}

// SLADueSQL reports whether the SLA clock's SQL selects lead id as due at now.
func (s *Store) SLADueSQL(ctx context.Context, id int64, now time.Time) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&leadRow{}).Where("id = ?", id).Where("id IN ("+dueSLAIDs(s.dialect)+")", map[string]any{"now": ms(now), "limit": 1 << 30}).Count(&n).Error
	return n == 1, err
}
