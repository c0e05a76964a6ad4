package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/handoff/handoff"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// PGColumnTypes are the declared PostgreSQL types of the columns that
// multi-row statements write, by table (pgColumnTypes).
func PGColumnTypes() map[string]map[string]string {
	out := map[string]map[string]string{}
	for table, cols := range pgColumnTypes {
		out[table] = maps.Clone(cols)
	}
	return out
}

// InsertRows inserts rows (values of cols) into table as insertRows does,
// in a transaction of its own.
func (s *Store) InsertRows(ctx context.Context, table string, cols []string, rows [][]any) error {
	return s.write.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return insertRows(tx, table, cols, len(rows), func(i int) []any { return rows[i] })
	})
}

// AddRows adds rows (values of keys, then sums) into table as addRows
// does, in a transaction of its own.
func (s *Store) AddRows(ctx context.Context, table string, keys, sums []string, rows [][]any) error {
	return s.write.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return addRows(tx, table, keys, nil, sums, len(rows), func(i int) []any { return rows[i] })
	})
}

// MultiRowStatements runs each of the multi-row statements of intake and
// the claims with n rows on PostgreSQL (n leads: inserted, read, read and
// locked, locked by id, claimed, saved by intake's one statement, their
// events and outbox rows inserted, rollup rows added) and returns the
// texts of the statements each ran, by name. Each runs in a transaction
// rolled back, but for intake's one statement (which commits its own);
// the leads it reads and claims are committed before, under external ids
// of prefix.
func (s *Store) MultiRowStatements(ctx context.Context, n int, prefix string) (map[string][]string, error) {
	if s.dialect != DialectPostgres {
		return nil, errors.New("MultiRowStatements records on PostgreSQL only")
	}
	db, rec, err := s.recordingWrite()
	if err != nil {
		return nil, err
	}
	db = db.WithContext(ctx)
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	_, inserted, err := newLeadRows(prefix+"-inserted", n, now)
	if err != nil {
		return nil, err
	}
	// The leads the other statements read, lock and claim, committed.
	ids, leads, err := newLeadRows(prefix+"-stored", n, now)
	if err == nil {
		err = s.write.WithContext(ctx).Transaction(func(tx *gorm.DB) error { return insertLeadRows(tx, leads) })
	}
	if err != nil {
		return nil, err
	}
	rolledBack := errors.New("rolled back")
	steps := []txStep{{"insert leads", func(tx *gorm.DB) error { return insertLeadRows(tx, inserted) }}}
	steps = append(steps, leadArraySteps(ids, leads, now)...)
	steps = append(steps,
		txStep{"events and outbox", func(tx *gorm.DB) error {
			events := make([]eventRow, n)
			outbox := make([]outboxRow, n)
			for i := range leads {
				events[i] = eventRow{LeadID: leads[i].ID, Kind: "stage", Stage: "sql", AtMs: ms(now)}
				outbox[i] = outboxRow{Kind: "lead.announce", LeadID: leads[i].ID, Status: "pending", DueMs: ms(now), CreatedMs: ms(now)}
			}
			return execWrites(tx, []tableWrite{eventsWrite(events), outboxWrite(outbox), intakeOutboxWrite(outbox)})
		}},
		txStep{"add rollup rows", func(tx *gorm.DB) error {
			deltas := map[waitKey]int64{}
			for i := range n {
				deltas[waitKey{kind: "claim", day: int64(20_000 + i), bucket: 3, shard: 1}] = 1
			}
			return execWrites(tx, []tableWrite{waitsWrite(deltas)})
		}},
	)
	out := map[string][]string{}
	for _, step := range steps {
		rec.start()
		err := db.Transaction(func(tx *gorm.DB) error {
			if err := step.run(tx); err != nil {
				return err
			}
			return rolledBack
		})
		if !errors.Is(err, rolledBack) {
			return nil, fmt.Errorf("%s: %w", step.name, err)
		}
		out[step.name] = rec.texts()
	}

	items := make([]saveItem, n)
	for i := range items {
		in, err := handoff.ParseLeadInput(map[string]any{"external_id": fmt.Sprintf("%s-one-%d", prefix, i), "name": "Lead", "email": "lead@example.com"}, now)
		if err != nil {
			return nil, err
		}
		items[i] = saveItem{in: in, policy: handoff.DefaultPolicy(), now: now, actor: handoff.ActorAPI}
		items[i].fresh = decideNew(items[i])
	}
	rec.start()
	var leadIDs leadIDs
	_, _, done, err := saveOneStatement(ctx, db, items, 0, func(n int) ([]int64, error) { return leadIDs.take(ctx, s.write, n) })
	if err != nil || !done {
		return nil, fmt.Errorf("intake's one statement: done %v, %v", done, err)
	}
	out["intake's one statement"] = rec.texts()
	return out, nil
}

// txStep is a statement run in a transaction, by name.
type txStep struct {
	name string
	run  func(tx *gorm.DB) error
}

// newLeadRows are the rows of n new SQL leads, of external ids prefix-0 …
// prefix-(n-1), and those ids.
func newLeadRows(prefix string, n int, now time.Time) ([]string, []leadRow, error) {
	ids := make([]string, n)
	rows := make([]leadRow, n)
	for i := range n {
		ids[i] = fmt.Sprintf("%s-%d", prefix, i)
		l := &handoff.Lead{ExternalID: ids[i], Name: "Lead", Stage: handoff.StageSQL, CreatedAt: now, UpdatedAt: now}
		var err error
		if rows[i], err = leadToRow(l); err != nil {
			return nil, nil, err
		}
	}
	return ids, rows, nil
}

// leadArraySteps are the statements that find the stored leads (of
// external ids ids) by an array of their keys: read, read and locked,
// locked by id, claimed at now (each claim must win).
func leadArraySteps(ids []string, leads []leadRow, now time.Time) []txStep {
	return []txStep{
		{"select leads", func(tx *gorm.DB) error { _, err := selectLeadRows(tx, ids, false); return err }},
		{"lock leads", func(tx *gorm.DB) error { _, err := selectLeadRows(tx, ids, true); return err }},
		{"lock leads by id", func(tx *gorm.DB) error {
			byID := make([]int64, len(leads))
			for i := range leads {
				byID[i] = leads[i].ID
			}
			_, err := lockLeadRowsByID(tx, byID)
			return err
		}},
		{"claim leads", func(tx *gorm.DB) error {
			claims := make([]claimUpdate, len(leads))
			for i := range leads {
				claims[i] = claimUpdate{item: &claimItem{id: leads[i].ID, owner: handoff.Owner{Platform: "slack", UserID: "U1"}, at: now}}
			}
			won, err := claimUpdates(tx, claims)
			if err == nil && len(won) != len(leads) {
				err = fmt.Errorf("%d of %d claims won", len(won), len(leads))
			}
			return err
		}},
	}
}

// ArrayReadScans runs the statements that find leads by an array of keys
// (leadArraySteps, and anyLeadKnown's), for 3 leads, on one connection of
// the pool, each in a transaction rolled back: runs times while leads
// holds few leads, then once more after more leads are committed. It
// returns, for each of those last executions, the sequential scans of
// leads it made and the rows they read (pg_stat_get_xact_numscans and
// _tuples_returned, read before and after it in its transaction), and
// whether the connection kept its plans meanwhile (countsAfterGrowth).
func (s *Store) ArrayReadScans(ctx context.Context, few, runs, more int) (scans map[string][2]int64, kept bool, err error) {
	if s.dialect != DialectPostgres {
		return nil, false, errors.New("ArrayReadScans counts scans on PostgreSQL only")
	}
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	write := func(prefix string, n int) ([]string, []leadRow, error) {
		ids, rows, err := newLeadRows(prefix, n, now)
		if err == nil {
			err = s.write.WithContext(ctx).Transaction(func(tx *gorm.DB) error { return insertLeadRows(tx, rows) })
		}
		return ids, rows, err
	}
	ids, leads, err := write("few", few)
	if err != nil {
		return nil, false, err
	}
	steps := append(leadArraySteps(ids[:3], leads[:3], now), txStep{"known leads", func(tx *gorm.DB) error {
		_, err := anyLeadKnown(ctx, tx, ids[:3])
		return err
	}})
	grow := func() error { _, _, err := write("more", more); return err }
	const counts = "SELECT pg_stat_get_xact_numscans('leads'::regclass), pg_stat_get_xact_tuples_returned('leads'::regclass)"
	return s.countsAfterGrowth(ctx, steps, runs, grow, func(string) (string, []any) { return counts, nil }, []string{"leads"})
}

// ArrayRoundTrip sends vals to PostgreSQL as one array of typ (pgArray),
// in a statement kept prepared and in one planned at each execution
// (pgPlanEach), and returns for each the elements PostgreSQL read, in
// order, as text (nil for NULL).
func (s *Store) ArrayRoundTrip(ctx context.Context, typ string, vals []any) (prepared, planned []*string, err error) {
	if s.dialect != DialectPostgres {
		return nil, nil, errors.New("ArrayRoundTrip runs on PostgreSQL only")
	}
	arg, err := pgArray(typ, vals)
	if err != nil {
		return nil, nil, err
	}
	pool, err := s.write.DB()
	if err != nil {
		return nil, nil, err
	}
	q := "SELECT x::text FROM unnest($1::" + typ + "[]) WITH ORDINALITY AS u(x, n) ORDER BY n"
	read := func(args ...any) ([]*string, error) {
		rows, err := pool.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		out := []*string{}
		for rows.Next() {
			var x sql.NullString
			if err := rows.Scan(&x); err != nil {
				return nil, err
			}
			if x.Valid {
				out = append(out, &x.String)
			} else {
				out = append(out, nil)
			}
		}
		return out, rows.Err()
	}
	if prepared, err = read(arg); err != nil {
		return nil, nil, err
	}
	planned, err = read(pgPlanEach, arg)
	return prepared, planned, err
}

// TeamsUsersByID is the user ids of the Teams users whose user id is one
// of ids, found through GORM as the claims find them (teamsUsersByID), in
// a statement kept prepared and in one planned at each execution
// (planEach), each sorted.
func (s *Store) TeamsUsersByID(ctx context.Context, ids []string) (prepared, planned []string, err error) {
	db := s.write.WithContext(ctx)
	for _, found := range []struct {
		db  *gorm.DB
		out *[]string
	}{{db, &prepared}, {planEach(db), &planned}} {
		if err := found.db.Model(&teamsUserRow{}).Where(teamsUsersByID.in(s.dialect, ids)).Order("user_id").Pluck("user_id", found.out).Error; err != nil {
			return nil, nil, err
		}
	}
	return prepared, planned, nil
}

// recordingWrite is a handle on s's PostgreSQL write pool that records
// the text of each statement run through it.
func (s *Store) recordingWrite() (*gorm.DB, *recorder, error) {
	rec := &recorder{}
	pool, err := s.write.DB()
	if err != nil {
		return nil, nil, err
	}
	db, err := gorm.Open(postgres.New(postgres.Config{Conn: recordingDB{pool, rec}}), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		return nil, nil, err
	}
	return db, rec, nil
}

// recorder keeps the texts of the statements run through its pools.
type recorder struct {
	mu  sync.Mutex
	ran []string
}

func (r *recorder) record(q string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ran = append(r.ran, q)
}

func (r *recorder) start() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ran = nil
}

func (r *recorder) texts() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ran
}

// recordingDB is a connection pool that records each statement's text,
// and so do the transactions it begins.
type recordingDB struct {
	db  *sql.DB
	rec *recorder
}

func (p recordingDB) PrepareContext(ctx context.Context, q string) (*sql.Stmt, error) {
	p.rec.record(q)
	return p.db.PrepareContext(ctx, q)
}

func (p recordingDB) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	p.rec.record(q)
	return p.db.ExecContext(ctx, q, args...)
}

func (p recordingDB) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	p.rec.record(q)
	return p.db.QueryContext(ctx, q, args...)
}

func (p recordingDB) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	p.rec.record(q)
	return p.db.QueryRowContext(ctx, q, args...)
}

func (p recordingDB) BeginTx(ctx context.Context, opts *sql.TxOptions) (gorm.ConnPool, error) {
	tx, err := p.db.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &recordingTx{tx, p.rec}, nil
}

// recordingTx is a transaction of recordingDB.
type recordingTx struct {
	tx  *sql.Tx
	rec *recorder
}

func (p *recordingTx) PrepareContext(ctx context.Context, q string) (*sql.Stmt, error) {
	p.rec.record(q)
	return p.tx.PrepareContext(ctx, q)
}

func (p *recordingTx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	p.rec.record(q)
	return p.tx.ExecContext(ctx, q, args...)
}

func (p *recordingTx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	p.rec.record(q)
	return p.tx.QueryContext(ctx, q, args...)
}

func (p *recordingTx) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	p.rec.record(q)
	return p.tx.QueryRowContext(ctx, q, args...)
}

func (p *recordingTx) Commit() error   { return p.tx.Commit() }
func (p *recordingTx) Rollback() error { return p.tx.Rollback() }
