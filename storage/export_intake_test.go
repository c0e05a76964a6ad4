package storage

import (
	"context"
	"errors"
	"time"

	"github.com/handoff/handoff"
)

// SaveLeadsOneStatement runs intake's one-statement path (PostgreSQL) on
// the inputs as one group; done reports whether it saved them.
func (s *Store) SaveLeadsOneStatement(ctx context.Context, ins []handoff.LeadInput, policy handoff.Policy, now time.Time, actor string) (results []handoff.SaveResult, errs []error, done bool, err error) {
	items := make([]saveItem, len(ins))
	for i, in := range ins {
		items[i] = saveItem{in: in, policy: policy, now: now, actor: actor, hooks: s.hooks}
		items[i].fresh = decideNew(items[i])
	}
	ids := leadIDs{block: 1} // no more ids than the transaction takes
	return saveOneStatement(ctx, s.write, items, 0, func(n int) ([]int64, error) { return ids.take(ctx, s.write, n) })
}

// SaveGroupStatements saves the inputs as one group of the committer does
// in a transaction (saveJobs) on PostgreSQL, and returns the texts of the
// statements it ran.
func (s *Store) SaveGroupStatements(ins []handoff.LeadInput, policy handoff.Policy, now time.Time, actor string) (results []handoff.SaveResult, errs []error, texts []string, err error) {
	if s.dialect != DialectPostgres {
		return nil, nil, nil, errors.New("SaveGroupStatements records on PostgreSQL only")
	}
	db, rec, err := s.recordingWrite()
	if err != nil {
		return nil, nil, nil, err
	}
	results = make([]handoff.SaveResult, len(ins))
	group := make([]writeJob, len(ins))
	for i, in := range ins {
		it := saveItem{in: in, policy: policy, now: now, actor: actor, hooks: s.hooks}
		it.fresh = decideNew(it)
		group[i] = writeJob{save: &it, res: &results[i], done: make(chan error, 1)}
	}
	(&groupCommitter{db: db}).commit(group)
	errs = make([]error, len(ins))
	for i, job := range group {
		errs[i] = <-job.done
	}
	return results, errs, rec.texts(), nil
}

// EnqueueGroupStatements queues each of msgs as one Enqueue call of a
// group the committer commits together on PostgreSQL, and returns the
// texts of the statements it ran.
func (s *Store) EnqueueGroupStatements(msgs [][]handoff.OutboxMessage, now time.Time) ([]string, error) {
	if s.dialect != DialectPostgres {
		return nil, errors.New("EnqueueGroupStatements records on PostgreSQL only")
	}
	db, rec, err := s.recordingWrite()
	if err != nil {
		return nil, err
	}
	group := enqueueJobsOf(msgs, now)
	(&groupCommitter{db: db}).commit(group)
	for _, job := range group {
		if err := <-job.done; err != nil {
			return nil, err
		}
	}
	return rec.texts(), nil
}

// DecidedBeforeQueueing reports whether SaveLead would work out what in
// does to a new lead before its save queues (intakeItem), rather than
// leave it to the writer alone.
func (s *Store) DecidedBeforeQueueing(in handoff.LeadInput, policy handoff.Policy, now time.Time, actor string) bool {
	return s.intakeItem(in, policy, now, actor).fresh != nil
}

// SaveGroup saves the inputs as one group of the writer's (saveJobs, in
// one transaction, without a savepoint), each decided before it queues
// (decideNew) as SaveLead decides it when decided is set, and returns each
// save's result and error.
func (s *Store) SaveGroup(ins []handoff.LeadInput, policy handoff.Policy, now time.Time, actor string, decided bool) ([]handoff.SaveResult, []error) {
	group, results := s.saveJobsOf(ins, policy, now, actor, decided)
	(&groupCommitter{db: s.write}).commit(group)
	return results, answers(group)
}
