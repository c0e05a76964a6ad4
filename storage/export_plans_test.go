package storage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/handoff/handoff"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// LeadListReads are the tables read by the statements of intake and the
// claim batch that find rows by an array of leads, by the name of what
// runs them (LeadListScans).
var LeadListReads = map[string][]string{
	"stage history":         {"lead_events"},
	"routing history":       {"lead_events"},
	"routing facts refresh": {"routing_facts", "lead_events"},
	"activities":            {"lead_activities"},
	"delete won":            {"funnel_won"},
	"delete routing facts":  {"routing_facts"},
	"teams rep keys":        {"teams_users", "leads"},
}

// LeadListScans runs the statements of LeadListReads for leads ids on one
// connection of the pool, each in a transaction rolled back: runs times,
// then grow, then once more. It returns, for each of those last
// executions, the sequential scans of its tables and the rows it read from
// them, by sequential scans and from their indexes
// (pg_stat_get_xact_numscans and _tuples_returned of each table and
// index, read before and after it in its transaction).
func (s *Store) LeadListScans(ctx context.Context, ids []int64, runs int, grow func() error) (map[string][2]int64, error) {
	if s.dialect != DialectPostgres {
		return nil, errors.New("LeadListScans counts scans on PostgreSQL only")
	}
	steps := []txStep{
		{"stage history", func(tx *gorm.DB) error { _, err := stageHistory(tx, ids); return err }},
		{"routing history", func(tx *gorm.DB) error { _, err := routingHistory(tx, ids); return err }},
		{"routing facts refresh", func(tx *gorm.DB) error { return refreshRoutingRollup(tx, ids) }},
		{"activities", func(tx *gorm.DB) error { _, err := activitiesOf(tx, ids, nil, time.Time{}); return err }},
		{"delete won", func(tx *gorm.DB) error { return deleteIn(tx, wonOfLeads, ids) }},
		{"delete routing facts", func(tx *gorm.DB) error { return deleteIn(tx, factsOfLeads, ids) }},
		{"teams rep keys", func(tx *gorm.DB) error { _, err := teamsRepKeys(tx, teamsUserIDs(ids)); return err }},
	}
	return s.countsAfterGrowth(ctx, steps, runs, grow, func(name string) (string, []any) { return tableScanCounts, []any{LeadListReads[name]} })
}

// tableScanCounts are the sequential scans of the tables of the array $1
// and the rows read from them and their indexes so far in the
// transaction.
const tableScanCounts = `SELECT COALESCE(SUM(pg_stat_get_xact_numscans(c.oid)) FILTER (WHERE c.relkind = 'r'), 0),
	COALESCE(SUM(pg_stat_get_xact_tuples_returned(c.oid)), 0)
	FROM pg_class c LEFT JOIN pg_index i ON i.indexrelid = c.oid
	WHERE c.relnamespace = current_schema()::regnamespace AND COALESCE(i.indrelid, c.oid) = ANY($1::regclass[])`

// IDListReads are the tables read by the statements that find outbox
// messages or leads by a list of their ids outside intake and the claim
// batch, by the name of what runs them (IDListScans).
var IDListReads = map[string][]string{
	"lease outbox":         {"outbox"},
	"clear decay":          {"leads"},
	"lock leads to forget": {"leads"},
	"scored leads":         {"leads"},
	"lock CRM versions":    {"crm_versions", "leads"},
	"erase CRM versions":   {"crm_versions"},
}

// idListSteps are the statements of IDListReads for the outbox messages
// outboxIDs and the leads leadIDs.
func idListSteps(outboxIDs, leadIDs []int64) []txStep {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	return []txStep{
		{"lease outbox", func(tx *gorm.DB) error { _, err := leaseOutbox(tx, outboxIDs, now, time.Minute, "w"); return err }},
		{"clear decay", func(tx *gorm.DB) error { return clearNextDecay(tx, leadIDs) }},
		{"lock leads to forget", func(tx *gorm.DB) error { _, err := lockLeadsToForget(tx, leadIDs); return err }},
		{"scored leads", func(tx *gorm.DB) error { _, err := leadRowsByID(tx, leadIDs); return err }},
		{"lock CRM versions", func(tx *gorm.DB) error { return lockCRMVersionsToForget(tx, leadIDs) }},
		{"erase CRM versions", func(tx *gorm.DB) error {
			for _, id := range leadIDs {
				if err := eraseCRMVersions(tx, []byte("test key"), fmt.Sprint("X", id)); err != nil {
					return err
				}
			}
			return nil
		}},
	}
}

// IDListScans runs the statements of IDListReads as LeadListScans does
// those of LeadListReads, for the outbox messages outboxIDs and the leads
// leadIDs.
func (s *Store) IDListScans(ctx context.Context, outboxIDs, leadIDs []int64, runs int, grow func() error) (map[string][2]int64, error) {
	if s.dialect != DialectPostgres {
		return nil, errors.New("IDListScans counts scans on PostgreSQL only")
	}
	return s.countsAfterGrowth(ctx, idListSteps(outboxIDs, leadIDs), runs, grow, func(name string) (string, []any) {
		return tableScanCounts, []any{IDListReads[name]}
	})
}

// Recorded runs fn on a store that shares s's PostgreSQL pools, reads and
// writes, and records the text of each statement run through them, and
// returns those texts.
func (s *Store) Recorded(fn func(r *Store) error) ([]string, error) {
	if s.dialect != DialectPostgres {
		return nil, errors.New("the statements are recorded on PostgreSQL only")
	}
	db, rec, err := s.recordingWrite()
	if err != nil {
		return nil, err
	}
	err = fn(&Store{db: db, write: db, dialect: s.dialect, hooks: s.hooks})
	return rec.texts(), err
}

// teamsUserIDs are the Teams user ids of leads ids in LeadListScans:
// "29:" and the lead id.
func teamsUserIDs(ids []int64) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = fmt.Sprint("29:", id)
	}
	return out
}

// countsAfterGrowth runs steps on one connection of s's PostgreSQL pool,
// each in a transaction rolled back: runs times, then grow, then once
// more. It returns, for each of those last executions, by step, how much
// the two numbers that the query counts gives for the step (with its
// args) grew while the step ran in its transaction.
func (s *Store) countsAfterGrowth(ctx context.Context, steps []txStep, runs int, grow func() error, counts func(step string) (string, []any)) (map[string][2]int64, error) {
	pool, err := s.write.DB()
	if err != nil {
		return nil, err
	}
	conn, err := pool.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	db, err := gorm.Open(postgres.New(postgres.Config{Conn: conn}), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		return nil, err
	}
	db = db.WithContext(ctx)
	rolledBack := errors.New("rolled back")
	out := map[string][2]int64{}
	run := func(step txStep, count bool) error {
		q, args := counts(step.name)
		err := db.Transaction(func(tx *gorm.DB) error {
			var before, after [2]int64
			if err := tx.Statement.ConnPool.QueryRowContext(ctx, q, args...).Scan(&before[0], &before[1]); err != nil {
				return err
			}
			if err := step.run(tx); err != nil {
				return err
			}
			if err := tx.Statement.ConnPool.QueryRowContext(ctx, q, args...).Scan(&after[0], &after[1]); err != nil {
				return err
			}
			if count {
				out[step.name] = [2]int64{after[0] - before[0], after[1] - before[1]}
			}
			return rolledBack
		})
		if !errors.Is(err, rolledBack) {
			return fmt.Errorf("%s: %w", step.name, err)
		}
		return nil
	}
	for range runs {
		for _, step := range steps {
			if err := run(step, false); err != nil {
				return nil, err
			}
		}
	}
	if err := grow(); err != nil {
		return nil, err
	}
	for _, step := range steps {
		if err := run(step, true); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// RefreshRoutingStatements counts anew the routing of leads ids, as after
// an erasure (refreshRoutingRollup), on PostgreSQL, and returns the texts
// of the statements it ran.
func (s *Store) RefreshRoutingStatements(ids []int64) ([]string, error) {
	return s.txStatements(func(tx *gorm.DB) error { return refreshRoutingRollup(tx, ids) })
}

// InsertOutboxStatements queues msgs at now as a lead's change does
// (insertOutbox), on PostgreSQL, and returns the texts of the statements
// it ran.
func (s *Store) InsertOutboxStatements(msgs []handoff.OutboxMessage, now time.Time) ([]string, error) {
	return s.txStatements(func(tx *gorm.DB) error { return insertOutbox(tx, now, msgs...) })
}

// txStatements runs fn in a transaction, committed, on PostgreSQL, and
// returns the texts of the statements it ran.
func (s *Store) txStatements(fn func(tx *gorm.DB) error) ([]string, error) {
	if s.dialect != DialectPostgres {
		return nil, errors.New("the statements are recorded on PostgreSQL only")
	}
	db, rec, err := s.recordingWrite()
	if err != nil {
		return nil, err
	}
	err = db.Transaction(fn)
	return rec.texts(), err
}
