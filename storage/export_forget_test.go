package storage

import (
	"context"
	"time"

	"github.com/handoff/handoff"
)

// ForgetIDs erases the leads of ids as an erasure that chose them before
// another erasure committed does (ForgetLead, ForgetEmail and PurgeExpired
// choose their leads, then erase them), and returns how many it erased.
func (s *Store) ForgetIDs(ctx context.Context, ids []int64, policy handoff.Policy, now time.Time) (int, error) {
	return s.forget(ctx, ids, policy, now, handoff.ActorSystem)
}
