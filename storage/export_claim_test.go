package storage

import (
	"context"
	"time"

	"github.com/handoff/handoff"
)

// ClaimInTransaction makes ClaimLead claim in a transaction on PostgreSQL
// too, as it does on SQLite.
func (s *Store) ClaimInTransaction() { s.claimInTx = true }

// ClaimOneStatement runs ClaimLead's one-statement path (PostgreSQL) alone;
// done reports whether it decided the claim.
// step is the routing step the claim holds at, -1 for any (ClaimLead).
func (s *Store) ClaimOneStatement(ctx context.Context, id int64, step int, owner handoff.Owner, now time.Time, actor string) (lead *handoff.Lead, won, done bool, err error) {
	return s.claimOneStatement(ctx, id, step, nil, owner, fromMs(ms(now)), actor)
}
