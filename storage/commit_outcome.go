package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// errOutcomeUnknown marks a write whose commit failed without telling
// whether the database committed it (the connection was lost with the
// answer) and whose outcome could not be learnt after: it is neither run
// again (it may be stored) nor answered as stored (it may not be).
var errOutcomeUnknown = errors.New("storage: commit outcome unknown")

// commitOutcome tells, on PostgreSQL, whether a group's transaction whose
// COMMIT failed was committed all the same: the COMMIT reached the
// database, which committed, and its answer was lost with the connection.
// Running the group's jobs again alone then would write them twice: a
// save decided again against its own lead as stored (a lead that came
// back as an SQL, announced again), a notice queued again.
type commitOutcome struct {
	xid int64 // the transaction's id (txid_current); 0 when not asked
	// committing is set once the transaction's work is done: its error,
	// if any, is then its COMMIT's.
	committing bool
}

// begin asks the transaction's id, on PostgreSQL: one round trip more
// for each group, of any size (a lone write whose answer was lost is then
// answered as stored too, and a group's statements do not depend on its
// size, TestPGBatchStatementTextIndependentOfBatchSize).
func (o *commitOutcome) begin(tx *gorm.DB) error {
	if tx.Dialector.Name() != DialectPostgres {
		return nil
	}
	if err := tx.Raw("SELECT txid_current()").Scan(&o.xid).Error; err != nil {
		return fmt.Errorf("transaction id: %w", err)
	}
	return nil
}

// outcomeWait bounds how long settle waits for a transaction the database
// is still committing.
const outcomeWait = 2 * time.Second

// settle returns err, the transaction's error, unchanged, or nil when only
// the COMMIT failed and the database committed the transaction all the
// same, or err marked errOutcomeUnknown when it cannot tell. db is where it
// asks (another connection: the transaction's is lost).
func (o *commitOutcome) settle(db *gorm.DB, err error) error {
	if err == nil || !o.committing || o.xid == 0 {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), outcomeWait)
	defer cancel()
	for {
		var status sql.NullString
		qerr := db.WithContext(ctx).Raw("SELECT txid_status(?)", o.xid).Scan(&status).Error
		switch {
		case qerr != nil:
			return fmt.Errorf("%w: %w (asking: %w)", errOutcomeUnknown, err, qerr)
		case status.String == "committed":
			return nil
		case status.String == "aborted":
			return err
		case !status.Valid: // an id the database no longer knows
			return fmt.Errorf("%w: %w (transaction %d unknown)", errOutcomeUnknown, err, o.xid)
		}
		select { // in progress: the COMMIT is still running
		case <-ctx.Done():
			return fmt.Errorf("%w: %w (transaction %d %s)", errOutcomeUnknown, err, o.xid, status.String)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// txSettled is tx for an import's batch (SaveLeadsChecked): on PostgreSQL
// a COMMIT whose answer was lost but that the database made is no failure
// (commitOutcome), so that the import neither stops at a batch it stored
// nor, run again, saves that batch anew on what it stored (a lead
// returned later in the file comes back as an SQL, announced again).
func (s *Store) txSettled(ctx context.Context, fn func(tx *gorm.DB) error) error {
	if s.group != nil {
		return s.group.run(ctx, fn)
	}
	var outcome commitOutcome
	err := s.write.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := outcome.begin(tx); err != nil {
			return err
		}
		if err := fn(tx); err != nil {
			return err
		}
		outcome.committing = true
		return nil
	})
	return outcome.settle(s.write, err)
}
