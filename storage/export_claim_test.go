package storage

import (
	"context"
	"errors"
	"time"

	"github.com/handoff/handoff"
	"gorm.io/gorm"
)

// ClaimInTransaction makes ClaimLead claim in a transaction of its own,
// not in a batch of claims.
func (s *Store) ClaimInTransaction() { s.claimInTx = true }

// BatchClaim is one claim of ClaimBatch; Step is the routing step it
// holds at, -1 for any.
type BatchClaim struct {
	ID    int64
	Step  int
	Owner handoff.Owner
}

// BatchOutcome is a claim's outcome in ClaimBatch.
type BatchOutcome struct {
	Lead *handoff.Lead
	Won  bool
	Err  error
}

// ClaimBatch runs claims at now as one group of the group committer, as
// the committer of claims runs claims that wait together, and returns each
// one's outcome.
func (s *Store) ClaimBatch(claims []BatchClaim, now time.Time) []BatchOutcome {
	return s.claimBatchOn(s.write, claims, now)
}

// ClaimBatchStatements is ClaimBatch on PostgreSQL, and the texts of the
// statements the batch ran.
func (s *Store) ClaimBatchStatements(claims []BatchClaim, now time.Time) ([]BatchOutcome, []string, error) {
	if s.dialect != DialectPostgres {
		return nil, nil, errors.New("ClaimBatchStatements records on PostgreSQL only")
	}
	db, rec, err := s.recordingWrite()
	if err != nil {
		return nil, nil, err
	}
	out := s.claimBatchOn(db, claims, now)
	return out, rec.texts(), nil
}

// claimBatchOn is ClaimBatch with the transaction begun on db.
func (s *Store) claimBatchOn(db *gorm.DB, claims []BatchClaim, now time.Time) []BatchOutcome {
	group := make([]writeJob, len(claims))
	for i, c := range claims {
		group[i] = writeJob{claim: &claimItem{id: c.ID, step: c.Step, owner: c.Owner, at: fromMs(ms(now)), actor: c.Owner.Platform + ":" + c.Owner.UserID, hooks: s.hooks},
			done: make(chan error, 1)}
	}
	(&groupCommitter{db: db}).commit(group)
	out := make([]BatchOutcome, len(claims))
	for i, job := range group {
		out[i] = BatchOutcome{Lead: job.claim.lead, Won: job.claim.won, Err: <-job.done}
	}
	return out
}

// HoldClaims queues a write that holds the claims committer (SQLite's
// writer, PostgreSQL's committer of claims) until release is called, and
// returns once that write runs; took, when not nil, is called with the
// size of each group the committer takes from then on.
func (s *Store) HoldClaims(ctx context.Context, took func(size int)) (release func()) {
	release = holdCommitter(ctx, s.claims)
	s.claims.took = took
	return release
}

// QueuedClaims is how many writes wait for the claims committer, and how
// many its queue holds.
func (s *Store) QueuedClaims() (n, capacity int) { return len(s.claims.queue), cap(s.claims.queue) }
