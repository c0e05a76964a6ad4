package storage

import (
	"context"
	"fmt"
)

// parkedLeadsSQL counts the leads the SLA clock has parked (FireSLA) and
// not erased: an erasure stops a lead's timers, so its parking no longer
// skips any. It reads idx_leads_parked_set (sparseIndexes), which holds
// only the parked leads, so a scrape never reads every lead.
const parkedLeadsSQL = `SELECT COUNT(*) FROM leads WHERE parked_ms IS NOT NULL AND erased_ms IS NULL`

// ParkedLeads returns how many leads are parked now: their SLA timers are
// skipped until they change. The error is for the database failing.
func (s *Store) ParkedLeads(ctx context.Context) (int64, error) {
	var n int64
	if err := s.db.WithContext(ctx).Raw(parkedLeadsSQL).Scan(&n).Error; err != nil {
		return 0, fmt.Errorf("storage: count parked leads: %w", err)
	}
	return n, nil
}
