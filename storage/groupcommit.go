package storage

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/handoff/handoff"

	"gorm.io/gorm"
)

// maxGroup bounds how many write transactions share one SQLite commit.
const maxGroup = 128

// maxClaimGroupPG bounds how many claims share one batch (claimJobs) on
// PostgreSQL, where a batch's statements take its claims as arrays and
// cost little more for more claims: a burst of 200 clicks commits in two
// batches (the first click's, then all that queued meanwhile) instead of
// three, and the last clicks of the burst wait for one transaction less.
const maxClaimGroupPG = 512

// writeJob is one write transaction waiting for the group committer:
// a function, a lead to save (saves are merged into one batch with a
// single lookup of the known leads), outbox rows to insert (merged into
// one INSERT), or a claim (claims are merged into one batch, claimJobs).
type writeJob struct {
	fn     func(tx *gorm.DB) error
	save   *saveItem
	res    *handoff.SaveResult // where a save's result goes
	outbox []outboxRow
	once   handoff.Delivery // outbox's delivery (EnqueueOnce): recorded with its rows, which are queued once; zero for none
	onceMs int64            // when once was recorded
	claim  *claimItem
	done   chan error
}

// groupCommitter gives SQLite group commit: concurrent write transactions
// queue here, and one goroutine runs whatever is waiting inside a single
// database transaction, each job under its own savepoint, so many writes
// share one fsync. A job that fails is rolled back to its savepoint alone;
// every caller returns only after its own work is committed (or undone).
//
// On PostgreSQL, where other writes commit in parallel on their own, only
// intake saves, outbox inserts and claims queue here (a committer each), with
// pgIntakeWorkers workers taking intake's groups from one queue.
type groupCommitter struct {
	db    *gorm.DB
	queue chan writeJob
	wg    sync.WaitGroup
	// oneStatement saves a group of new leads in one statement
	// (saveOneStatement, PostgreSQL), each worker to a rollup shard of its own.
	oneStatement bool
	ids          leadIDs // for oneStatement
	// after, when set, is called by the (single) worker after each group.
	after func()
	// gather, when set, is the least a group of saves waits for the next
	// save (see gatherSaves, lastGroup.gap); gatherMax bounds the whole wait.
	gather, gatherMax time.Duration
	// took, when set, is called with a group's size once it is drained
	// from the queue and after each write gatherSaves adds (tests).
	took func(size int)
	// max bounds a group (and the queue): maxGroup unless newGroupCommitter
	// was given more.
	max int
	// metKnown is whether SQLite's writer's last batch of saves decided
	// as new leads named a known one (saveGroupInTx); PostgreSQL's
	// workers never use it.
	metKnown bool
	// name is the committer's name in a GroupCommit (CommitterSQLite, …).
	name string
	// observer, when set, is called with each group once its callers are
	// answered (Options.OnGroupCommit).
	observer func(GroupCommit)
}

// newGroupCommitter starts workers goroutines committing groups of at
// most maxGroup jobs from one queue; oneStatement is for PostgreSQL's
// intake (groupCommitter).
func newGroupCommitter(db *gorm.DB, workers int, oneStatement bool) *groupCommitter {
	return newGroupCommitterOf(db, workers, oneStatement, maxGroup)
}

// newGroupCommitterOf is newGroupCommitter with groups of at most max jobs.
func newGroupCommitterOf(db *gorm.DB, workers int, oneStatement bool, max int) *groupCommitter {
	g := &groupCommitter{db: db, queue: make(chan writeJob, max), oneStatement: oneStatement, max: max}
	for w := range workers {
		g.wg.Add(1)
		go g.loop(int64(w) % rollupShards)
	}
	return g
}

func (g *groupCommitter) stop() {
	close(g.queue)
	g.wg.Wait()
}

// run queues fn and waits for its outcome. ctx bounds only the wait for a
// place in the queue: once queued, the job runs to its end.
func (g *groupCommitter) run(ctx context.Context, fn func(tx *gorm.DB) error) error {
	return g.enqueue(ctx, writeJob{fn: fn, done: make(chan error, 1)})
}

// saveLead queues one intake save and waits for its result.
func (g *groupCommitter) saveLead(ctx context.Context, item saveItem) (handoff.SaveResult, error) {
	var res handoff.SaveResult
	err := g.enqueue(ctx, writeJob{save: &item, res: &res, done: make(chan error, 1)})
	return res, err
}

// insertOutbox queues the insert of outbox rows and waits for its commit.
func (g *groupCommitter) insertOutbox(ctx context.Context, rows []outboxRow) error {
	return g.enqueue(ctx, writeJob{outbox: rows, done: make(chan error, 1)})
}

func (g *groupCommitter) enqueue(ctx context.Context, job writeJob) error {
	select {
	case g.queue <- job:
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-job.done
}

// loop commits groups; shard is the worker's rollup shard (oneStatement).
func (g *groupCommitter) loop(shard int64) {
	defer g.wg.Done()
	group := make([]writeJob, 0, g.max)
	var last lastGroup
	var timer *time.Timer
	for first := range g.queue {
		var start time.Time
		if g.observer != nil {
			start = time.Now()
		}
		group = append(group[:0], first)
	drain:
		for len(group) < g.max {
			select {
			case job, ok := <-g.queue:
				if !ok {
					break drain
				}
				group = append(group, job)
			default:
				break drain
			}
		}
		if g.took != nil {
			g.took(len(group))
		}
		if g.gather > 0 && last.size > 1 {
			if timer == nil {
				timer = time.NewTimer(g.gather)
			}
			group = g.gatherSaves(group, last.want(g.max), last.gap(g.gather, g.gatherMax), timer)
		}
		committing := time.Now()
		failed := g.commitGroup(group, shard)
		last = lastGroup{size: len(group), waiting: len(g.queue), took: time.Since(committing)}
		if g.observer != nil { // every caller of the group is answered
			g.observer(GroupCommit{Committer: g.name, Size: len(group), Took: time.Since(start), Failed: failed})
		}
		if g.after != nil {
			g.after()
		}
	}
}

// commitGroup commits a group and answers each of its callers: by one
// statement (PostgreSQL's intake) when it can, else in a transaction. It
// reports whether the group's transaction failed.
func (g *groupCommitter) commitGroup(group []writeJob, shard int64) (failed bool) {
	if g.oneStatement {
		if answered, failed := g.commitOneStatement(group, shard); answered {
			return failed
		}
	}
	return g.commit(group)
}

// commitOneStatement saves a group of saves only with saveOneStatement and
// reports whether it answered them; if not, nothing was written. A group
// with a save of a lead SaveLead saved lately (not decided for a new lead:
// intakeItem) goes to the transaction without asking. When the statement
// failed and whether it was committed cannot be told (errOutcomeUnknown),
// every save is answered with that error, and failed is set.
func (g *groupCommitter) commitOneStatement(group []writeJob, shard int64) (answered, failed bool) {
	items := make([]saveItem, len(group))
	for i, job := range group {
		if job.save == nil || job.save.fresh == nil {
			return false, false
		}
		items[i] = *job.save
	}
	results, errs, done, err := g.trySaveOneStatement(items, shard)
	switch {
	case errors.Is(err, errOutcomeUnknown):
		for _, job := range group {
			job.done <- err
		}
		return true, true
	case err != nil || !done:
		return false, false
	}
	for i, job := range group {
		*job.res = results[i]
		job.done <- errs[i]
	}
	return true, false
}

// trySaveOneStatement is saveOneStatement on the committer's database
// with its ids, a panic turned into not done, as a failure of the
// statement is: the statement is atomic and runs last, so nothing was
// written, and the transaction then runs the group as it runs any group,
// a panic of it becoming its jobs' errors (commit, safely).
func (g *groupCommitter) trySaveOneStatement(items []saveItem, shard int64) (results []handoff.SaveResult, errs []error, done bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			results, errs, done, err = nil, nil, false, nil
		}
	}()
	ctx := context.Background()
	newIDs := func(n int) ([]int64, error) { return g.ids.take(ctx, g.db, n) }
	return saveOneStatement(ctx, g.db, items, shard, newIDs)
}

// commit runs the group in one transaction and reports whether that
// transaction failed. If it did (not a job), each job is run again alone
// so that one cannot fail the others; but when only the answer to its
// COMMIT was lost and the database committed it (commitOutcome), each job
// is answered as committed, and when that cannot be told, with the error.
func (g *groupCommitter) commit(group []writeJob) (failed bool) {
	errs := make([]error, len(group))
	var outcome commitOutcome
	err := g.db.Transaction(func(tx *gorm.DB) (err error) {
		defer func() {
			if p := recover(); p != nil { // each job runs again alone, under safely
				err = fmt.Errorf("storage: group commit panicked: %v", p)
			}
		}()
		if err := outcome.begin(tx); err != nil {
			return err
		}
		if err := saveJobs(tx, group, errs, &g.metKnown); err != nil {
			return err
		}
		if err := outboxJobs(tx, group, errs); err != nil {
			return err
		}
		if err := claimJobs(tx, group, errs); err != nil {
			return err
		}
		for i, job := range group {
			if job.fn == nil {
				continue
			}
			sp := fmt.Sprintf("job%d", i)
			if err := tx.SavePoint(sp).Error; err != nil {
				return err
			}
			if errs[i] = safely(job.fn, tx); errs[i] != nil {
				if err := tx.RollbackTo(sp).Error; err != nil {
					return err
				}
			}
			if err := tx.Exec("RELEASE SAVEPOINT " + sp).Error; err != nil {
				return err
			}
		}
		outcome.committing = true
		return nil
	})
	err = outcome.settle(g.db, err)
	for i, job := range group {
		switch {
		case errors.Is(err, errOutcomeUnknown):
			job.done <- err
		case err != nil && len(group) > 1, errors.Is(errs[i], errRetryAlone):
			job.done <- g.db.Transaction(func(tx *gorm.DB) error { return safely(job.alone(), tx) })
		case err != nil:
			job.done <- err
		default:
			job.done <- errs[i]
		}
	}
	return err != nil
}

// saveJobs saves every lead of the group in one batch under a savepoint
// (saveGroupInTx, with metKnown), filling each save job's result and
// domain error. A batch that fails as a whole is rolled back and its jobs
// are marked to run alone.
func saveJobs(tx *gorm.DB, group []writeJob, errs []error, metKnown *bool) error {
	var idx []int
	var items []saveItem
	for i, job := range group {
		if job.save != nil {
			idx = append(idx, i)
			items = append(items, *job.save)
		}
	}
	if len(items) == 0 {
		return nil
	}
	return inBatch(tx, "saves", len(idx) == len(group), idx, errs, func() error {
		results, itemErrs, err := saveGroupInTx(tx, items, metKnown)
		if err != nil {
			return err
		}
		for k, i := range idx {
			*group[i].res, errs[i] = results[k], itemErrs[k]
		}
		return nil
	})
}

// outboxJobs inserts the outbox rows of every outbox job of the group in
// one statement (outboxWrite: an array per column on PostgreSQL) under a
// savepoint, after recording the jobs' deliveries in one (insertOutboxOnce;
// a job of a delivery without rows records it only). A batch that fails
// is rolled back and its jobs are marked to run alone.
func outboxJobs(tx *gorm.DB, group []writeJob, errs []error) error {
	var idx []int
	var jobs []writeJob
	for i, job := range group {
		if job.isOutbox() {
			idx = append(idx, i)
			jobs = append(jobs, job)
		}
	}
	if len(jobs) == 0 {
		return nil
	}
	return inBatch(tx, "outbox", len(idx) == len(group), idx, errs, func() error { return insertOutboxOnce(tx, jobs) })
}

// insertOutboxOnce records the deliveries of the outbox jobs that name one
// (recordNewDeliveries) and inserts the rows of the others and of those
// whose delivery it recorded, the first job of a delivery named twice.
func insertOutboxOnce(tx *gorm.DB, jobs []writeJob) error {
	var deliveries []processedEventRow
	for _, job := range jobs {
		if job.once.Key != "" {
			deliveries = append(deliveries, processedEventRow{Source: job.once.Source, Key: job.once.Key, CreatedMs: job.onceMs})
		}
	}
	added, err := recordNewDeliveries(tx, deliveries)
	if err != nil {
		return err
	}
	var rows []outboxRow
	for _, job := range jobs {
		if job.once.Key != "" {
			if !added[job.once] {
				continue // recorded already: queued before
			}
			delete(added, job.once)
		}
		rows = append(rows, job.outbox...)
	}
	return execWrites(tx, []tableWrite{outboxWrite(rows)})
}

// inBatch runs fn, the merged work of the jobs idx, under savepoint name.
// When fn fails its writes are rolled back and those jobs are marked to
// run alone; an error is returned only when the savepoint itself fails.
// A batch that is the whole group (intake's usual case) needs no
// savepoint: if it fails, the whole transaction is rolled back (inBatch
// returns the error) and every job runs again alone, as it would after
// rolling back to the savepoint. Savepoints are not free: each journals
// every page the batch changes.
func inBatch(tx *gorm.DB, name string, whole bool, idx []int, errs []error, fn func() error) error {
	if !whole {
		if err := tx.SavePoint(name).Error; err != nil {
			return err
		}
	}
	if err := fn(); err != nil {
		for _, i := range idx {
			errs[i] = errRetryAlone
		}
		if whole {
			return fmt.Errorf("storage: %s batch: %w", name, err)
		}
		if rbErr := tx.RollbackTo(name).Error; rbErr != nil {
			return rbErr
		}
	}
	if whole {
		return nil
	}
	return tx.Exec("RELEASE SAVEPOINT " + name).Error
}

// errRetryAlone marks a save whose batch failed; it is run again alone.
var errRetryAlone = errors.New("storage: batch failed")

// isOutbox reports whether the job is an Enqueue's or EnqueueOnce's: outbox
// rows, or a delivery to record without rows.
func (job writeJob) isOutbox() bool { return job.outbox != nil || job.once.Key != "" }

// alone returns the job as a function for a transaction of its own.
func (job writeJob) alone() func(tx *gorm.DB) error {
	if job.isOutbox() {
		return func(tx *gorm.DB) error { return insertOutboxOnce(tx, []writeJob{job}) }
	}
	if job.claim != nil {
		return func(tx *gorm.DB) error {
			errs, err := claimBatchInTx(tx, []*claimItem{job.claim})
			if err != nil {
				return err
			}
			return errs[0]
		}
	}
	if job.save == nil {
		return job.fn
	}
	return func(tx *gorm.DB) error {
		results, errs, err := saveBatchInTx(tx, []saveItem{*job.save})
		if err != nil {
			return err
		}
		*job.res = results[0]
		return errs[0]
	}
}

// safely runs fn, turning a panic into an error so that one job cannot
// stop the committer.
func safely(fn func(tx *gorm.DB) error, tx *gorm.DB) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("storage: write job panicked: %v", p)
		}
	}()
	return fn(tx)
}

// tx runs fn in a write transaction: through the group committer on
// SQLite, directly on PostgreSQL (which commits concurrent transactions in
// parallel). fn's error rolls back fn's writes and is returned as is.
func (s *Store) tx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	if s.group != nil {
		return s.group.run(ctx, fn)
	}
	return s.write.WithContext(ctx).Transaction(fn)
}
