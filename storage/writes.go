package storage

import (
	"fmt"

	"gorm.io/gorm"
)

// tableWrite is one write of a transaction kept as data, so that it can be
// run as it is (execWrites) or folded into one statement with others
// (intake_pg.go): rows to insert into table, added to the stored sums of a
// row with the same key columns when sums is set (addRows); or, when sql
// is set, that statement (a DELETE) with its args; or, when deleteIDs is
// set, the DELETE of the rows of deleteOf's table whose column is one of
// them.
type tableWrite struct {
	what      string // names the write in errors
	table     string
	cols      []string // the key columns, for rows with sums
	kept      []string // with sums: columns a new row is written with and a stored one keeps
	sums      []string
	rows      [][]any // values of cols, then kept, then sums
	sql       string
	args      []any
	deleteOf  inList
	deleteIDs []int64
}

// execWrites runs ws in order in tx.
func execWrites(tx *gorm.DB, ws []tableWrite) error {
	for _, w := range ws {
		var err error
		row := func(i int) []any { return w.rows[i] }
		switch {
		case w.sql != "":
			err = tx.Exec(w.sql, w.args...).Error
		case len(w.deleteIDs) > 0:
			err = deleteIn(tx, w.deleteOf, w.deleteIDs)
		case len(w.sums) > 0:
			err = addRows(tx, w.table, w.cols, w.kept, w.sums, len(w.rows), row)
		default:
			err = insertRows(tx, w.table, w.cols, len(w.rows), row)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", w.what, err)
		}
	}
	return nil
}

// deleteIn deletes the rows of l's table whose column is one of ids
// (planned at each execution on PostgreSQL, planEach).
func deleteIn(tx *gorm.DB, l inList, ids []int64) error {
	db := planEach(tx)
	return l.eachChunk(tx.Dialector.Name(), ids, func(cond string, arg any) error {
		return db.Exec("DELETE FROM "+l.table+" WHERE "+cond, arg).Error
	})
}

// eventsWrite inserts event rows (without reading their ids back).
func eventsWrite(rows []eventRow) tableWrite {
	w := tableWrite{what: "events", table: "lead_events", cols: []string{"lead_id", "kind", "stage", "at_ms", "actor", "details", "reason_code", "not_a_fit"}}
	for _, r := range rows {
		w.rows = append(w.rows, []any{r.LeadID, r.Kind, r.Stage, r.AtMs, r.Actor, r.Details, r.ReasonCode, r.NotAFit})
	}
	return w
}

// outboxWrite inserts outbox rows, every column as tx.Create(&rows) writes
// it (without reading their ids back).
func outboxWrite(rows []outboxRow) tableWrite {
	w := tableWrite{what: "outbox", table: "outbox", cols: []string{"kind", "lead_id", "platform", "payload", "status", "due_ms",
		"locked_until_ms", "locked_by", "attempts", "last_error", "result", "created_ms", "requeued_ms", "done_ms", "refused_by", "not_before_ms"}}
	for _, r := range rows {
		w.rows = append(w.rows, []any{r.Kind, r.LeadID, r.Platform, r.Payload, r.Status, r.DueMs,
			r.LockedUntilMs, r.LockedBy, r.Attempts, r.LastError, r.Result, r.CreatedMs, r.RequeuedMs, r.DoneMs, r.RefusedBy, r.NotBeforeMs})
	}
	return w
}

// intakeOutboxWrite inserts intake's outbox rows: the columns a new
// message sets, the others left to their defaults.
func intakeOutboxWrite(rows []outboxRow) tableWrite {
	w := tableWrite{what: "outbox", table: "outbox", cols: []string{"kind", "lead_id", "platform", "payload", "status", "due_ms", "locked_until_ms", "attempts", "created_ms"}}
	for _, r := range rows {
		w.rows = append(w.rows, []any{r.Kind, r.LeadID, r.Platform, r.Payload, r.Status, r.DueMs, 0, 0, r.CreatedMs})
	}
	return w
}
