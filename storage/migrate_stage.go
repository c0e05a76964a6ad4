package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/handoff/handoff"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// stageTimesMigration names the backfill of stage_ms (BackfillStageTimes)
// in data_migrations.
const stageTimesMigration = "leads-stage-ms-from-events"

// stageTimesBatch is how many lead ids BackfillStageTimes dates in one
// transaction: the most a write to one of them waits for it (on SQLite,
// whose one writer the batch holds, any write). Measured over a million
// leads in BENCHMARKS.md, "Backfilling `stage_ms` in batches".
const stageTimesBatch = 1000

// stageTimesLockKey is the PostgreSQL advisory lock (with the hash of the
// schema's name: replicas of one deployment share it, deployments in
// schemas of one database do not) that one BackfillStageTimes holds,
// on a connection of its own, while it runs: "STAG".
const stageTimesLockKey = 0x53544147

// stageTimesSQL fills stage_ms (handoff.Lead.StageAt) of the leads of ids
// in (@lo, @hi] stored before it was kept, NULL, from their history: the
// time of the event by which the lead entered its current stage, the last
// of its stage and release events recorded (the highest id: the order in
// which the lead went through them, which their times need not follow, as
// a CRM dates its changes), when that event's stage is the lead's. It is
// the time that Lead.EnterStages (a stage event), Lead.Release and
// TickSLA's release (a release event, of stage sql) set and the claim's
// UPDATE (a stage event) writes. A lead whose history holds no such event,
// or whose last one is not of its stage, keeps NULL: nothing says when it
// entered its stage, and Lead.EnteredStageAt falls back to its last update
// as before. No write path leaves the latter (each records the event of
// the stage it moves a lead to last, holding the lead's row): such a lead
// came back to its stage unrecorded, and its older events of that stage
// date a stay it left since. Other events (a reminder, a breach, a
// routing step, the erasure) carry the lead's stage at their time without
// moving it, and are not read. A lead that has stage_ms is not written:
// not one that the new code moved before the batch reached it, nor, on
// PostgreSQL, one it moves while the batch waits for its row (READ
// COMMITTED checks the WHERE again on the row as that write committed it,
// stage_ms set); SQLite's writes take turns. Only stage_ms is written, so an erased lead gains back
// nothing its erasure took (its stage history is kept, and with it the
// stage time, which the erasure leaves on a lead too). One statement per
// database: on SQLite each lead's last event is found through
// idx_lead_events_lead_id, within the leads it updates; on PostgreSQL the
// last event of each lead of the range is grouped once, from the range of
// idx_lead_events_lead_id, and joined to the leads.
// Named arguments: lo and hi, the event kinds stage and release.
var stageTimesSQL = map[string]string{
	DialectSQLite: "UPDATE leads SET stage_ms = e.at_ms FROM lead_events AS e" +
		" WHERE leads.id > @lo AND leads.id <= @hi AND leads.stage_ms IS NULL AND e.stage = leads.stage" +
		" AND e.id = (SELECT MAX(x.id) FROM lead_events AS x WHERE x.lead_id = leads.id AND x.kind IN (@stage, @release))",
	DialectPostgres: "UPDATE leads AS l SET stage_ms = e.at_ms" +
		" FROM (SELECT lead_id, MAX(id) AS id FROM lead_events" +
		" WHERE lead_id > @lo AND lead_id <= @hi AND kind IN (@stage, @release) GROUP BY lead_id) AS m" +
		" JOIN lead_events AS e ON e.id = m.id" +
		" WHERE l.id = m.lead_id AND l.id > @lo AND l.id <= @hi AND l.stage_ms IS NULL AND e.stage = l.stage",
}

// StageTimesBackfill is what one Store.BackfillStageTimes did.
type StageTimesBackfill struct {
	// Dated is how many leads it gave their stage time.
	Dated int64
	// Batches is how many transactions it dated them in, and Longest how
	// long the longest took: the most a write to a lead waited for it.
	Batches int
	Longest time.Duration
	// Took is the time from its first batch to its record in
	// data_migrations.
	Took time.Duration
	// Done says the backfill is recorded done, by this call or before it
	// (then it read nothing else and Batches is 0).
	Done bool
	// Elsewhere says another process holds the backfill's lock on
	// PostgreSQL (a replica or handoff migrate running it): this call did
	// nothing.
	Elsewhere bool
}

// BackfillStageTimes gives the leads stored before stage_ms was kept
// their stage time from their history (stageTimesSQL), so that the closed
// card's "Closed" time and the CRM-time floor (Lead.EnteredStageAt) stop
// following the lead's last update. It runs in batches of stageTimesBatch
// lead ids, each its own transaction, so that a write to a lead waits for
// one batch at most, never for the whole backfill; and it records the
// backfill done in data_migrations once every batch is, after which a call
// returns at once. Each batch writes only leads without stage_ms, so a
// backfill stopped anywhere (its ctx ended, the process killed) is taken up
// by the next call, which starts from the first lead still without one. It
// changes no other column: updated_ms stays, as does every lead that has
// stage_ms. On PostgreSQL one process runs it at a time: a call that finds
// another holding its lock (stageTimesLockKey) returns at once, Elsewhere.
// started, when not nil, is called once before the first batch, when a
// lead is without stage_ms. On failure, ctx's end included, it returns
// what it did and the error, the batches done kept.
func (s *Store) BackfillStageTimes(ctx context.Context, started func()) (StageTimesBackfill, error) {
	var b StageTimesBackfill
	var err error
	if b.Done, err = migrationDone(s.db.WithContext(ctx), stageTimesMigration); err != nil || b.Done {
		return b, wrapBackfill(err)
	}
	if s.dialect != DialectPostgres {
		return b, wrapBackfill(s.backfillStageTimes(ctx, s.db.WithContext(ctx), s.tx, &b, started))
	}
	err = s.db.WithContext(ctx).Connection(func(conn *gorm.DB) error {
		var locked bool
		if err := conn.Session(&gorm.Session{}).Raw("SELECT pg_try_advisory_lock(?, hashtext(current_schema()))", stageTimesLockKey).Scan(&locked).Error; err != nil {
			return err
		}
		if !locked {
			b.Elsewhere = true
			return nil
		}
		// On a connection that ctx's end broke, the session, and its
		// lock, ended with it.
		defer conn.Session(&gorm.Session{Context: context.WithoutCancel(ctx)}).
			Exec("SELECT pg_advisory_unlock(?, hashtext(current_schema()))", stageTimesLockKey)
		tx := func(ctx context.Context, fn func(tx *gorm.DB) error) error {
			return conn.Session(&gorm.Session{Context: ctx}).Transaction(fn)
		}
		return s.backfillStageTimes(ctx, conn.Session(&gorm.Session{}), tx, &b, started)
	})
	return b, wrapBackfill(err)
}

// wrapBackfill is err, if any, as BackfillStageTimes' error.
func wrapBackfill(err error) error {
	if err != nil {
		return fmt.Errorf("storage: date the stage times of earlier leads: %w", err)
	}
	return nil
}

// backfillStageTimes runs BackfillStageTimes' batches, each in tx, reading
// on db, and records the backfill done, adding to b.
func (s *Store) backfillStageTimes(ctx context.Context, db *gorm.DB, tx func(context.Context, func(*gorm.DB) error) error, b *StageTimesBackfill, started func()) error {
	// Another process may have finished it while this one waited for
	// the lock.
	var err error
	if b.Done, err = migrationDone(db, stageTimesMigration); err != nil || b.Done {
		return err
	}
	// The leads without stage_ms: those stored before it was kept, as
	// every lead stored since has one, and those whose history does not
	// say, which a run before this one left so.
	var bounds struct{ Lo, Hi *int64 }
	if err := db.Raw("SELECT (SELECT id FROM leads WHERE stage_ms IS NULL ORDER BY id LIMIT 1) AS lo," +
		" (SELECT id FROM leads WHERE stage_ms IS NULL ORDER BY id DESC LIMIT 1) AS hi").Scan(&bounds).Error; err != nil {
		return err
	}
	start := time.Now()
	size := s.stageTimesBatch
	if size <= 0 {
		size = stageTimesBatch
	}
	if bounds.Lo != nil {
		if started != nil {
			started()
		}
		q := stageTimesSQL[s.dialect]
		for lo := *bounds.Lo - 1; lo < *bounds.Hi; lo += size {
			if err := ctx.Err(); err != nil {
				return err
			}
			args := map[string]any{"lo": lo, "hi": lo + size, "stage": string(handoff.EventStage), "release": string(handoff.EventRelease)}
			var dated int64
			began := time.Now()
			err := tx(ctx, func(tx *gorm.DB) error {
				r := tx.Exec(q, args)
				dated = r.RowsAffected
				return r.Error
			})
			if err != nil {
				return fmt.Errorf("leads %d to %d: %w", lo+1, lo+size, err)
			}
			b.Batches++
			b.Dated += dated
			b.Longest = max(b.Longest, time.Since(began))
			if s.afterStageTimesBatch != nil {
				s.afterStageTimesBatch(b.Dated)
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	err = tx(ctx, func(tx *gorm.DB) error {
		return tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&dataMigrationRow{Name: stageTimesMigration, DoneMs: ms(time.Now())}).Error
	})
	if err != nil {
		return err
	}
	b.Done, b.Took = true, time.Since(start)
	return nil
}
