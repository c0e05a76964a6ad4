package storage

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

	"gorm.io/gorm"
)

// Intake's multi-row statements, written as SQL with explicit columns and
// run on the transaction's connection as they are: GORM's reflection and
// statement building cost as much CPU as SQLite's executing them.

// leadColumns are the columns of leads in leadRow.fields' order after id.
var leadColumns = []string{"external_id", "email", "name", "company", "title", "phone", "source", "campaign",
	"score", "score_reasons", "next_decay_ms", "stage", "reached", "amount_minor", "reason", "attributes",
	"owner_platform", "owner_user_id", "owner_email", "sql_ms", "claimed_ms", "contacted_ms", "claim_due_ms",
	"shown_ms", "contact_due_ms", "sla_breached", "next_remind_ms", "claim_escalated_ms", "contact_escalated_ms",
	"erased_ms", "erased_key", "parked_ms", "parked_error", "offer_state", "offer_rep", "offer_due_ms", "offer_seq",
	"offer_tried", "offer_credits", "created_ms", "updated_ms",
	"sla_held", "sla_holder_platform", "sla_holder_user_id", "sla_holder_email", "sla_from_ms", "stage_ms", "sla_set_ms"}

// fields returns pointers to the row's fields: id, then leadColumns.
func (r *leadRow) fields() []any {
	return []any{&r.ID, &r.ExternalID, &r.Email, &r.Name, &r.Company, &r.Title, &r.Phone, &r.Source, &r.Campaign,
		&r.Score, &r.ScoreReasons, &r.NextDecayMs, &r.Stage, &r.Reached, &r.AmountMinor, &r.Reason, &r.Attributes,
		&r.OwnerPlatform, &r.OwnerUserID, &r.OwnerEmail, &r.SQLMs, &r.ClaimedMs, &r.ContactedMs, &r.ClaimDueMs,
		&r.ShownMs, &r.ContactDueMs, &r.SLABreached, &r.NextRemindMs, &r.ClaimEscMs, &r.ContactEscMs,
		&r.ErasedMs, &r.ErasedKey, &r.ParkedMs, &r.ParkedError, &r.OfferState, &r.OfferRep, &r.OfferDueMs, &r.OfferSeq,
		&r.OfferTried, &r.OfferCredits, &r.CreatedMs, &r.UpdatedMs,
		&r.SLAHeld, &r.SLAHolderPlatform, &r.SLAHolderUserID, &r.SLAHolderEmail, &r.SLAFromMs, &r.StageMs, &r.SLASetMs}
}

// deref is the value a field pointer of leadRow.fields points to.
func deref(p any) any {
	switch p := p.(type) {
	case *string:
		return *p
	case *int64:
		return *p
	case *int:
		return *p
	case *bool:
		return *p
	case **int64:
		if *p == nil {
			return nil
		}
		return **p
	}
	panic(fmt.Sprintf("storage: leadRow field of type %T", p))
}

// values are the values of the row's fields (leadRow.fields), a NULL
// column's nil.
func (r *leadRow) values() []any {
	fields := r.fields()
	vals := make([]any, len(fields))
	for i, p := range fields {
		vals[i] = deref(p)
	}
	return vals
}

// selectLeadRows reads the leads with these external ids, ordered by
// external id; with lock, on PostgreSQL, it locks them (FOR UPDATE) until
// tx ends, in the order of their ids as lockLeadRowsByID does (a batch of
// claims locks so), and returns them in that order. PostgreSQL reads them
// with one statement, whatever their number (an array of the ids); SQLite
// 500 at a time.
func selectLeadRows(tx *gorm.DB, externalIDs []string, lock bool) ([]leadRow, error) {
	if len(externalIDs) == 0 {
		return nil, nil
	}
	if tx.Dialector.Name() == DialectPostgres {
		then := " ORDER BY external_id"
		if lock {
			then = " ORDER BY id FOR UPDATE"
		}
		return queryLeadRows(tx, nil, leadsByExternalIDPG+then, []any{pgPlanEach, externalIDs})
	}
	return queryLeadRowsIn(tx, "external_id", externalIDs, " ORDER BY external_id")
}

// lockLeadRowsByID reads the leads with these ids, in no order; on
// PostgreSQL it locks them (FOR UPDATE) in the order of their ids, so that
// two transactions locking some of the same leads never wait for each
// other in opposite orders, with one statement (an array of the ids).
func lockLeadRowsByID(tx *gorm.DB, ids []int64) ([]leadRow, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	if tx.Dialector.Name() == DialectPostgres {
		return queryLeadRows(tx, nil, leadsByIDPG+" ORDER BY id FOR UPDATE", []any{pgPlanEach, ids})
	}
	return queryLeadRowsIn(tx, "id", ids, "")
}

// queryLeadRowsIn reads, on SQLite, the leads whose col is one of vals,
// 500 values a statement, each statement's rows in the order that then
// (an ORDER BY or nothing) gives.
func queryLeadRowsIn[T any](tx *gorm.DB, col string, vals []T, then string) ([]leadRow, error) {
	var out []leadRow
	for part := range slices.Chunk(vals, 500) {
		args := make([]any, len(part))
		for i, v := range part {
			args[i] = v
		}
		var err error
		if out, err = queryLeadRows(tx, out, col+" IN "+rowValues(tx, 1, len(part))+then, args); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// leadsByIDPG and leadsByExternalIDPG are PostgreSQL's conditions of the
// leads whose id, or external id, is in the array $1.
var leadsByIDPG, leadsByExternalIDPG = pgAny("leads", "id", 1), pgAny("leads", "external_id", 1)

// leadsOfIDs is the condition on a lead's id, for a list of leads, in the
// statements run through GORM that find leads by their ids outside intake
// and the claims (the decay's, an erasure's, the scored leads'); on
// PostgreSQL they run planned at each execution (planEach), as a generic
// plan made while leads held a few rows without statistics scans every
// lead until something analyses them (TestPGIDListStatementsUseIndexes).
var leadsOfIDs = newInList("leads", "id")

// selectLeadsSQL selects the columns of leadRow.fields from leads; a text
// column a database of an earlier version left NULL reads as empty.
var selectLeadsSQL = func() string {
	var r leadRow
	cols := []string{"id"}
	for i, f := range r.fields()[1:] {
		if _, text := f.(*string); text {
			cols = append(cols, "COALESCE("+leadColumns[i]+", '')")
			continue
		}
		cols = append(cols, leadColumns[i])
	}
	return "SELECT " + strings.Join(cols, ", ") + " FROM leads WHERE "
}()

// queryLeadRows appends to out the leads that where (with the dialect's
// bind variables, and what follows the condition) selects with args.
func queryLeadRows(tx *gorm.DB, out []leadRow, where string, args []any) ([]leadRow, error) {
	q := selectLeadsSQL + where
	rows, err := tx.Statement.ConnPool.QueryContext(tx.Statement.Context, q, args...)
	if err != nil {
		return nil, fmt.Errorf("select leads: %w", err)
	}
	for rows.Next() {
		var r leadRow
		if err := rows.Scan(r.fields()...); err != nil {
			rows.Close()
			return nil, fmt.Errorf("select leads: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Close(); err != nil {
		return nil, fmt.Errorf("select leads: %w", err)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("select leads: %w", err)
	}
	return out, nil
}

// insertLeadRows inserts new leads and sets their ids. A row whose
// external id exists already is skipped: then it returns errRaced.
func insertLeadRows(tx *gorm.DB, rows []leadRow) error {
	known, err := insertNewLeadRows(tx, rows)
	if err == nil && len(known) > 0 {
		return errRaced
	}
	return err
}

// insertNewLeadRows inserts the leads of rows (of distinct external ids,
// without ids) whose external ids are not known and sets their ids; it
// skips the others, and returns their external ids.
func insertNewLeadRows(tx *gorm.DB, rows []leadRow) (known map[string]bool, err error) {
	byExternalID := make(map[string]*leadRow, len(rows))
	for i := range rows {
		byExternalID[rows[i].ExternalID] = &rows[i]
	}
	chunk := insertChunk(tx)
	for start := 0; start < len(rows); start += chunk {
		part := rows[start:min(start+chunk, len(rows))]
		q, args, err := insertSQL(tx, "leads", leadColumns, " ON CONFLICT (external_id) DO NOTHING RETURNING id, external_id",
			len(part), func(i int) []any { return part[i].values()[1:] })
		if err != nil {
			return nil, fmt.Errorf("insert into leads: %w", err)
		}
		res, err := tx.Statement.ConnPool.QueryContext(tx.Statement.Context, q, args...)
		if err != nil {
			return nil, fmt.Errorf("insert into leads: %w", err)
		}
		for res.Next() {
			var id int64
			var externalID string
			if err := res.Scan(&id, &externalID); err != nil {
				res.Close()
				return nil, fmt.Errorf("insert into leads: %w", err)
			}
			if r := byExternalID[externalID]; r != nil {
				r.ID = id
			}
		}
		if err := res.Close(); err != nil {
			return nil, fmt.Errorf("insert into leads: %w", err)
		}
		if err := res.Err(); err != nil {
			return nil, fmt.Errorf("insert into leads: %w", err)
		}
	}
	for _, r := range rows {
		if r.ID == 0 {
			if known == nil {
				known = map[string]bool{}
			}
			known[r.ExternalID] = true
		}
	}
	return known, nil
}

// insertRows inserts n rows into table with multi-row INSERT statements
// (insertSQL), without reading ids back.
func insertRows(tx *gorm.DB, table string, cols []string, n int, row func(i int) []any) error {
	return insertRowsThen(tx, table, cols, "", n, row)
}

// addRows is insertRows for counters: a row whose key columns exist already
// has its sum columns added to the stored ones (and keeps its kept columns).
func addRows(tx *gorm.DB, table string, keys, kept, sums []string, n int, row func(i int) []any) error {
	return insertRowsThen(tx, table, slices.Concat(keys, kept, sums), onConflictAdd(table, keys, sums), n, row)
}

// onConflictAdd is the clause of an INSERT into table that adds the sums of
// a row whose keys exist already to the stored ones.
func onConflictAdd(table string, keys, sums []string) string {
	set := make([]string, len(sums))
	for i, c := range sums {
		set[i] = c + " = " + table + "." + c + " + excluded." + c
	}
	return " ON CONFLICT (" + strings.Join(keys, ", ") + ") DO UPDATE SET " + strings.Join(set, ", ")
}

// placeholders is n comma-separated bind variables, for statements run
// through GORM (which numbers them on PostgreSQL).
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// insertRowsThen is insertRows with then appended to each statement.
func insertRowsThen(tx *gorm.DB, table string, cols []string, then string, n int, row func(i int) []any) error {
	chunk := insertChunk(tx)
	for start := 0; start < n; start += chunk {
		end := min(start+chunk, n)
		q, args, err := insertSQL(tx, table, cols, then, end-start, func(i int) []any { return row(start + i) })
		if err == nil {
			_, err = tx.Statement.ConnPool.ExecContext(tx.Statement.Context, q, args...)
		}
		if err != nil {
			return fmt.Errorf("insert into %s: %w", table, err)
		}
	}
	return nil
}

// insertSQL is the INSERT of n rows (row(i) gives row i's values of cols)
// into table, followed by then, and its args. On PostgreSQL its text does
// not depend on n: INSERT … SELECT unnest(…), … of an array per column
// (pgUnnest); on SQLite it is a list of VALUES with a bind variable per
// value (sqliteInsertText).
func insertSQL(tx *gorm.DB, table string, cols []string, then string, n int, row func(i int) []any) (q string, args []any, err error) {
	if tx.Dialector.Name() == DialectPostgres {
		rows, args, err := pgUnnest(table, cols, n, row, nil)
		if err != nil {
			return "", nil, err
		}
		return "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") " + rows + then, args, nil
	}
	args = make([]any, 0, n*len(cols))
	for i := range n {
		args = append(args, row(i)...)
	}
	return sqliteInsertText(table, cols, then, n), args, nil
}

// sqliteInsertTexts are the texts of SQLite's INSERTs of up to
// maxCachedBinds bind variables, by insertTextKey: the writer runs the same
// few for every group it commits, and building a text of hundreds of bind
// variables cost more than 1 % of its instructions.
var sqliteInsertTexts sync.Map

// maxCachedBinds bounds the INSERT texts kept (sqliteInsertTexts): the
// statements of up to some twenty rows, each text a few KiB at most.
const maxCachedBinds = 1024

type insertTextKey struct {
	table, cols, then string
	n                 int
}

// sqliteInsertText is SQLite's INSERT of n rows of cols into table with
// a list of VALUES, followed by then. It is an INSERT OR FAIL: for a
// statement of several rows that could abort half-way SQLite otherwise
// keeps a statement journal, a copy of every page the statement changes
// (11 % of the writer's instructions in BenchmarkIntakeWriter), to undo
// the rows it wrote before a failing one. No caller needs that: a failed
// INSERT fails its job, which is rolled back to its savepoint or with its
// transaction (TestFailedMultiRowInsertWritesNothing).
func sqliteInsertText(table string, cols []string, then string, n int) string {
	key := insertTextKey{table: table, cols: strings.Join(cols, ", "), then: then, n: n}
	if q, ok := sqliteInsertTexts.Load(key); ok {
		return q.(string)
	}
	var b strings.Builder
	b.Grow(len(table) + len(key.cols) + len(then) + n*len(cols)*3 + 32)
	b.WriteString("INSERT OR FAIL INTO " + table + " (" + key.cols + ") VALUES ")
	writeValues(&b, n, len(cols), func(b *strings.Builder, _, _ int) { b.WriteByte('?') })
	b.WriteString(then)
	q := b.String()
	if n*len(cols) <= maxCachedBinds {
		sqliteInsertTexts.Store(key, q)
	}
	return q
}

// insertChunk is how many rows one INSERT takes at most: on SQLite 200, so
// that a statement stays under its limit of bind variables; on PostgreSQL
// all of them, an array per column.
func insertChunk(tx *gorm.DB) int {
	if tx.Dialector.Name() == DialectPostgres {
		return math.MaxInt
	}
	return 200
}

// rowValues returns rows parenthesised lists of cols placeholders in tx's
// dialect: "(?, ?), (?, ?)" on SQLite, "($1, $2), ($3, $4)" on PostgreSQL.
func rowValues(tx *gorm.DB, rows, cols int) string {
	var b strings.Builder
	b.Grow(rows * cols * 5)
	if tx.Dialector.Name() != DialectPostgres {
		writeValues(&b, rows, cols, func(b *strings.Builder, _, _ int) { b.WriteByte('?') })
		return b.String()
	}
	writeValues(&b, rows, cols, func(b *strings.Builder, n, _ int) {
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(n))
	})
	return b.String()
}

// writeValues writes rows parenthesised lists of cols bind variables to
// b, each written by bind with its number (from 1) and its column.
func writeValues(b *strings.Builder, rows, cols int, bind func(b *strings.Builder, n, col int)) {
	n := 0
	for r := range rows {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c := range cols {
			if c > 0 {
				b.WriteString(", ")
			}
			n++
			bind(b, n, c)
		}
		b.WriteByte(')')
	}
}
