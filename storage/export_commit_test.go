package storage

import (
	"time"

	"github.com/handoff/handoff"
)

// SaveAsIntakeGroup saves the inputs as one group of the intake
// committer's (commitGroup: on PostgreSQL by one statement when it can,
// else in a transaction), each decided before it queued as SaveLead
// decides a lead it has not saved lately, and returns each save's result
// and error.
func (s *Store) SaveAsIntakeGroup(ins []handoff.LeadInput, policy handoff.Policy, now time.Time, actor string) ([]handoff.SaveResult, []error) {
	group, results := s.saveJobsOf(ins, policy, now, actor, true)
	(&groupCommitter{db: s.write, oneStatement: s.dialect == DialectPostgres}).commitGroup(group, 0)
	return results, answers(group)
}

// saveJobsOf are the save jobs of the inputs, decided before they queue
// (decideNew) when decided is set, and where their results go.
func (s *Store) saveJobsOf(ins []handoff.LeadInput, policy handoff.Policy, now time.Time, actor string, decided bool) ([]writeJob, []handoff.SaveResult) {
	results := make([]handoff.SaveResult, len(ins))
	group := make([]writeJob, len(ins))
	for i, in := range ins {
		it := saveItem{in: in, policy: policy, now: now, actor: actor, hooks: s.hooks}
		if decided {
			it.fresh = decideNew(it)
		}
		group[i] = writeJob{save: &it, res: &results[i], done: make(chan error, 1)}
	}
	return group, results
}

// answers are the errors the jobs of a committed group were answered with.
func answers(group []writeJob) []error {
	errs := make([]error, len(group))
	for i, job := range group {
		errs[i] = <-job.done
	}
	return errs
}

// EnqueueGroup queues each of msgs as one Enqueue of a group that the
// outbox committer commits together, and returns each one's error.
func (s *Store) EnqueueGroup(msgs [][]handoff.OutboxMessage, now time.Time) []error {
	group := enqueueJobsOf(msgs, now)
	(&groupCommitter{db: s.write}).commit(group)
	return answers(group)
}

// enqueueJobsOf are the jobs of Enqueue calls, one for each of msgs.
func enqueueJobsOf(msgs [][]handoff.OutboxMessage, now time.Time) []writeJob {
	group := make([]writeJob, len(msgs))
	for i, m := range msgs {
		group[i] = writeJob{outbox: outboxRows(now, m), done: make(chan error, 1)}
	}
	return group
}
