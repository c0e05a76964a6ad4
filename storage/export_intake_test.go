package storage

import (
	"context"
	"time"

	"github.com/handoff/handoff"
)

// SaveLeadsOneStatement runs intake's one-statement path (PostgreSQL) on
// the inputs as one group; done reports whether it saved them.
func (s *Store) SaveLeadsOneStatement(ctx context.Context, ins []handoff.LeadInput, policy handoff.Policy, now time.Time, actor string) (results []handoff.SaveResult, errs []error, done bool, err error) {
	items := make([]saveItem, len(ins))
	for i, in := range ins {
		items[i] = saveItem{in, policy, now, actor, s.hooks}
	}
	ids := leadIDs{block: 1} // no more ids than the transaction takes
	return saveOneStatement(ctx, s.write, items, 0, func(n int) ([]int64, error) { return ids.take(ctx, s.write, n) })
}
