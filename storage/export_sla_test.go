package storage

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"gorm.io/gorm"
)

// ExplainSLA returns the database's plans for the SLA clock's two queries
// (the due leads at now, the next due time), one line per plan step.
func (s *Store) ExplainSLA(ctx context.Context, now time.Time) (due, next string, err error) {
	// FireSLA's read (dueSLALeads), its bind variables given as literals.
	at := strconv.FormatInt(ms(now), 10)
	read := strings.NewReplacer("$1", at, "?1", at, "$2", "200", "?2", "200").Replace(selectLeadsSQL + dueSLALeads(s.dialect))
	if due, err = s.Explain(ctx, read); err != nil {
		return "", "", err
	}
	next, err = s.Explain(ctx, nextSLADue(s.dialect))
	return due, next, err
}

// Explain returns the database's plan for query, one line per plan step.
// On PostgreSQL sequential scans are priced out, as a table grown past a
// few pages would price them: an empty test table is cheapest to scan.
func (s *Store) Explain(ctx context.Context, query string, args ...any) (plan string, err error) {
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) (err error) {
		plan, err = explainIn(tx, query, args...)
		return err
	})
	return plan, err
}

// explainIn is Explain in transaction tx, whose settings it keeps but for
// sequential scans, priced out until tx ends.
func explainIn(tx *gorm.DB, query string, args ...any) (string, error) {
	explain := "EXPLAIN QUERY PLAN "
	if tx.Dialector.Name() == DialectPostgres {
		explain = "EXPLAIN "
		if err := tx.Exec("SET LOCAL enable_seqscan = off").Error; err != nil {
			return "", err
		}
	}
	rows, err := tx.Raw(explain+query, args...).Rows()
	if err != nil {
		return "", err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return "", err
	}
	var lines []string
	for rows.Next() {
		vals, err := ScanValues(rows, len(cols))
		if err != nil {
			return "", err
		}
		var parts []string
		for _, v := range vals {
			switch v := v.(type) {
			case string:
				parts = append(parts, v)
			case []byte:
				parts = append(parts, string(v))
			}
		}
		lines = append(lines, strings.Join(parts, " "))
	}
	return strings.Join(lines, "\n"), rows.Err()
}

// LeadIndexes returns the names of the indexes on leads.
func (s *Store) LeadIndexes(ctx context.Context) ([]string, error) {
	return s.TableIndexes(ctx, "leads")
}

// TableIndexes returns the names of the indexes on table, sorted.
func (s *Store) TableIndexes(ctx context.Context, table string) ([]string, error) {
	q := "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? ORDER BY name"
	if s.dialect == DialectPostgres {
		q = "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = ? ORDER BY indexname"
	}
	var names []string
	err := s.db.WithContext(ctx).Raw(q, table).Scan(&names).Error
	return names, err
}

// Exec runs a statement on the writer, for tests that set up an old schema.
func (s *Store) Exec(ctx context.Context, query string) error {
	return s.write.WithContext(ctx).Exec(query).Error
}

// NextDecayDueSQL, ErasedKeyWhere and ParkedLeadsSQL are the queries of
// NextDecayDue, ErasedLeadByExternalID and ParkedLeads.
const (
	NextDecayDueSQL = nextDecayDueSQL
	ErasedKeyWhere  = erasedKeyWhere
	ParkedLeadsSQL  = parkedLeadsSQL
)

// CRMVersionsOfRecord is eraseCRMVersions' condition on crm_versions.
const CRMVersionsOfRecord = crmVersionsOfRecord

// CRMVersionsMergedInto is eraseCRMVersions' condition on the rows of the
// records merged into a lead's.
const CRMVersionsMergedInto = crmVersionsMergedInto

// TeamsOwnersWhere is the Teams reps' keys' condition on the leads of the
// users ids, with the bind variable of the ids (after the platform's).
func (s *Store) TeamsOwnersWhere(ids []string) (string, any) { return teamsOwnersWhere(s.dialect, ids) }

// StageHistorySQL is the rollup's read of the stage events of leads ids,
// with the ids' bind variable (before the kind's).
func (s *Store) StageHistorySQL(ids []int64) (string, any) {
	cond, arg := eventsOfLeads.in(s.dialect, ids)
	return stageHistorySQL(s.dialect, cond), arg
}

// ExplainRouting returns the plans of the routing clock's queries: the due
// steps at now and the next due time.
func (s *Store) ExplainRouting(ctx context.Context, now time.Time) (due, next string, err error) {
	if due, err = s.Explain(ctx, dueRoutes(s.dialect), ms(now), 200); err != nil {
		return "", "", err
	}
	next, err = s.Explain(ctx, nextRouteDue(s.dialect))
	return due, next, err
}

// CountWrites counts the statements (savepoints included) and the
// transactions run through the store's writer until stop is called, at
// the connection pool: GORM's and the store's own SQL alike. On
// PostgreSQL the writer is the reader too, so reads count. Not safe while
// other goroutines use the store.
func (s *Store) CountWrites() (statements, transactions func() int, stop func()) {
	c := &writeCounter{ConnPool: s.write.Statement.ConnPool, counts: &writeCounts{}}
	old := s.write.Statement.ConnPool
	s.write.Statement.ConnPool = c
	return func() int { return int(c.counts.statements.Load()) }, func() int { return int(c.counts.transactions.Load()) },
		func() { s.write.Statement.ConnPool = old }
}

type writeCounts struct{ statements, transactions atomic.Int64 }

// writeCounter is a connection pool that counts what runs through it and
// through the transactions it begins (writeCounterTx).
type writeCounter struct {
	gorm.ConnPool
	counts *writeCounts
}

func (c *writeCounter) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	c.counts.statements.Add(1)
	return c.ConnPool.ExecContext(ctx, q, args...)
}

func (c *writeCounter) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	c.counts.statements.Add(1)
	return c.ConnPool.QueryContext(ctx, q, args...)
}

func (c *writeCounter) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	c.counts.statements.Add(1)
	return c.ConnPool.QueryRowContext(ctx, q, args...)
}

// BeginTx begins a transaction on the pool it wraps, counted.
func (c *writeCounter) BeginTx(ctx context.Context, opts *sql.TxOptions) (gorm.ConnPool, error) {
	var (
		tx  gorm.ConnPool
		err error
	)
	switch b := c.ConnPool.(type) {
	case gorm.TxBeginner:
		tx, err = b.BeginTx(ctx, opts)
	case gorm.ConnPoolBeginner:
		tx, err = b.BeginTx(ctx, opts)
	default:
		return nil, gorm.ErrInvalidTransaction
	}
	if err != nil {
		return nil, err
	}
	c.counts.transactions.Add(1)
	return &writeCounterTx{writeCounter{ConnPool: tx, counts: c.counts}}, nil
}

// writeCounterTx is a transaction of a writeCounter.
type writeCounterTx struct{ writeCounter }

func (t *writeCounterTx) Commit() error   { return t.ConnPool.(gorm.TxCommitter).Commit() }
func (t *writeCounterTx) Rollback() error { return t.ConnPool.(gorm.TxCommitter).Rollback() }
