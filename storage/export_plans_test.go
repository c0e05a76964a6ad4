package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
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
// index, read before and after it in its transaction), and whether the
// connection kept its plans meanwhile (countsAfterGrowth).
func (s *Store) LeadListScans(ctx context.Context, ids []int64, runs int, grow func() error) (scans map[string][2]int64, kept bool, err error) {
	if s.dialect != DialectPostgres {
		return nil, false, errors.New("LeadListScans counts scans on PostgreSQL only")
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
	return s.countsAfterGrowth(ctx, steps, runs, grow, func(name string) (string, []any) { return tableScanCounts, []any{LeadListReads[name]} },
		readTables(LeadListReads))
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
				if err := eraseCRMVersions(tx, []byte("test key"), id, fmt.Sprint("X", id)); err != nil {
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
func (s *Store) IDListScans(ctx context.Context, outboxIDs, leadIDs []int64, runs int, grow func() error) (scans map[string][2]int64, kept bool, err error) {
	if s.dialect != DialectPostgres {
		return nil, false, errors.New("IDListScans counts scans on PostgreSQL only")
	}
	return s.countsAfterGrowth(ctx, idListSteps(outboxIDs, leadIDs), runs, grow, func(name string) (string, []any) {
		return tableScanCounts, []any{IDListReads[name]}
	}, readTables(IDListReads))
}

// CRMVersionReads are the tables read by the statements that save a
// CRM's version of a record (SaveLeadVersion), by the name of what runs
// them (CRMVersionScans).
var CRMVersionReads = map[string][]string{
	"lock and save CRM version": {"crm_versions"},
	"stale after erasure":       {"crm_versions"},
}

// CRMVersionScans runs the statements of CRMVersionReads, for the record
// of source and externalID, as LeadListScans does those of
// LeadListReads, each with the plan it keeps prepared, generic
// (plan_cache_mode force_generic_plan in its transaction): they are not
// planned at each execution.
func (s *Store) CRMVersionScans(ctx context.Context, source, externalID string, runs int, grow func() error) (scans map[string][2]int64, kept bool, err error) {
	if s.dialect != DialectPostgres {
		return nil, false, errors.New("CRMVersionScans counts scans on PostgreSQL only")
	}
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	generic := func(fn func(tx *gorm.DB) error) func(tx *gorm.DB) error {
		return func(tx *gorm.DB) error {
			if err := tx.Exec("SET LOCAL plan_cache_mode = force_generic_plan").Error; err != nil {
				return err
			}
			return fn(tx)
		}
	}
	steps := []txStep{
		{"lock and save CRM version", generic(func(tx *gorm.DB) error {
			cur, err := lockCRMVersion(tx, source, externalID, now)
			if err != nil {
				return err
			}
			return saveCRMVersion(tx, cur, handoff.CRMVersion{Modified: now}, now)
		})},
		{"stale after erasure", generic(func(tx *gorm.DB) error {
			if _, err := eraseKey(tx, true); err != nil {
				return err
			}
			_, err := staleAfterErasure(tx, source, externalID, now)
			return err
		})},
	}
	return s.countsAfterGrowth(ctx, steps, runs, grow, func(name string) (string, []any) {
		return tableScanCounts, []any{CRMVersionReads[name]}
	}, readTables(CRMVersionReads))
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

// readTables are the tables of reads, sorted, each once.
func readTables(reads map[string][]string) []string {
	var out []string
	for _, ts := range reads {
		out = append(out, ts...)
	}
	slices.Sort(out)
	return slices.Compact(out)
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
//
// kept reports whether the connection kept its plans from before the
// last runs to the end: a canary, a statement prepared on it that reads
// each of tables, is explained before and after, and its plan, made
// before grow, would show the grown tables if it had been made again.
// Anything that drops the connection's plans in between (a change of a
// relation or of the catalog, or PostgreSQL resetting a connection that
// fell behind the invalidations other sessions send, as CREATE and DROP
// SCHEMA in another database can make it) would also have a statement
// kept prepared planned again on the grown tables, so that it passes: the
// counts are worth nothing then. The connection plans as served
// (plan_cache_mode auto): force_generic_plan would not keep such a reset
// from planning a kept statement again, and it gives the statements
// planned at each execution a generic plan, which serving does not (the
// erasure's lock of CRM versions, for 10 leads guessed, then scans all of
// crm_versions for a hash join).
func (s *Store) countsAfterGrowth(ctx context.Context, steps []txStep, runs int, grow func() error, counts func(step string) (string, []any), tables []string) (_ map[string][2]int64, kept bool, err error) {
	pool, err := s.write.DB()
	if err != nil {
		return nil, false, err
	}
	conn, err := pool.Conn(ctx)
	if err != nil {
		return nil, false, err
	}
	defer conn.Close()
	canary, err := newPlanCanary(ctx, conn, tables)
	if err != nil {
		return nil, false, err
	}
	defer func() { err = errors.Join(err, canary.close(ctx)) }()
	db, err := gorm.Open(postgres.New(postgres.Config{Conn: conn}), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		return nil, false, err
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
	for i := range runs {
		if i == runs-1 {
			// Before the last runs: a plan dropped after a step's last
			// run here would be made again on the grown tables.
			if err := canary.plan(ctx); err != nil {
				return nil, false, err
			}
		}
		for _, step := range steps {
			if err := run(step, false); err != nil {
				return nil, false, err
			}
		}
	}
	if err := grow(); err != nil {
		return nil, false, err
	}
	for _, step := range steps {
		if err := run(step, true); err != nil {
			return nil, false, err
		}
	}
	kept, err = canary.kept(ctx)
	return out, kept, err
}

// planCanary is a statement prepared on a connection, reading each of a
// list of tables, whose plan tells whether the connection's plans were
// made again since it was made (countsAfterGrowth).
type planCanary struct {
	conn  *sql.Conn
	first string // the plan as first explained
}

// newPlanCanary prepares on conn the canary reading tables.
func newPlanCanary(ctx context.Context, conn *sql.Conn, tables []string) (*planCanary, error) {
	if len(tables) == 0 {
		return nil, errors.New("a plan canary reads at least one table")
	}
	reads := make([]string, len(tables))
	for i, t := range tables {
		reads[i] = "SELECT 1 FROM " + t
	}
	if _, err := conn.ExecContext(ctx, "PREPARE plan_canary AS "+strings.Join(reads, " UNION ALL ")); err != nil {
		return nil, err
	}
	return &planCanary{conn: conn}, nil
}

// plan has the canary planned (it has no parameters: its plan is
// generic), and keeps the plan.
func (c *planCanary) plan(ctx context.Context) (err error) {
	c.first, err = c.explain(ctx)
	return err
}

// kept reports whether the canary's plan is the one plan made.
func (c *planCanary) kept(ctx context.Context) (bool, error) {
	if c.first == "" {
		return false, errors.New("the plan canary was never planned")
	}
	now, err := c.explain(ctx)
	return now == c.first, err
}

// explain is the canary's plan, with the rows it expects of each table.
func (c *planCanary) explain(ctx context.Context) (string, error) {
	rows, err := c.conn.QueryContext(ctx, "EXPLAIN EXECUTE plan_canary")
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return "", err
		}
		b.WriteString(line + "\n")
	}
	return b.String(), rows.Err()
}

// close drops the canary, before the connection goes back to the pool.
func (c *planCanary) close(ctx context.Context) error {
	_, err := c.conn.ExecContext(ctx, "DEALLOCATE plan_canary")
	return err
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
