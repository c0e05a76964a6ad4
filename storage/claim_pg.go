package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/handoff/handoff"
	"gorm.io/gorm/clause"
)

// claimOneStatement is ClaimLead on PostgreSQL in two round trips and one
// commit, without a transaction held open across them: a click's claim
// otherwise waited on nine.
//
// It reads the lead with its row version (xmin) and its stage history,
// decides the claim as the transaction does (Lead.Claim, the rollup), and
// writes it with one statement: the conditional UPDATE, which also
// requires the row version read, and, only when that UPDATE changed the
// lead, the inserts of its events, rollup rows and outbox messages, in the
// transaction's order. A statement is atomic, and a row whose version has
// not moved is the row the claim was decided on, so what is written is
// what the transaction writes (TestClaimPathsWriteTheSame). Every
// transaction that adds stage events to a lead also updates its row, so
// the history read cannot have changed under an unchanged version.
//
// done is false when this path cannot decide: the lead is missing, its
// version moved between the two statements (nothing was written), the
// rollup would delete rows, or the routing rollup would need to know a
// Teams claimer's other keys (teamsRepKeys). ClaimLead then claims in a transaction.
// When allow is set it is asked about the lead read (before the claim
// changes it), and a lead it refuses is returned unclaimed, done; welcome's
// messages for the claimed lead are inserted with the claim's.
func (s *Store) claimOneStatement(ctx context.Context, id int64, step int, allow func(*handoff.Lead) bool, welcome func(*handoff.Lead) []handoff.OutboxMessage, owner handoff.Owner, at time.Time, actor string) (lead *handoff.Lead, won, done bool, err error) {
	read, found, err := s.claimRead(ctx, id)
	if err != nil || !found {
		return nil, false, false, err
	}
	lead, err = read.row.toLead()
	if err != nil {
		return nil, false, false, err
	}
	if allow != nil && !allow(lead) {
		return lead, false, true, nil
	}
	if step != anyStep && read.row.OfferSeq != step {
		return lead, false, true, nil // the offer the click saw moved on
	}
	change, ok := lead.Claim(owner, at, actor)
	if !ok {
		return lead, false, true, nil // a claim read has no change
	}
	if welcome != nil {
		change.Outbox = append(change.Outbox, welcome(lead)...)
	}
	history := stageTimes{}
	var routed []eventRow // the lead's routed steps and claims
	if read.stageHistory != nil {
		var events []struct {
			ID                          int64
			Kind, Stage, Actor, Details string
			At                          int64
		}
		if err := json.Unmarshal([]byte(*read.stageHistory), &events); err != nil {
			return nil, false, false, fmt.Errorf("stage history: %w", err)
		}
		for _, e := range events {
			if e.Kind == string(handoff.EventStage) {
				history.add(id, e.Stage, e.At)
			}
			if isRoutingEvent(e.Kind, e.Stage) {
				routed = append(routed, eventRow{ID: e.ID, LeadID: id, Kind: e.Kind, Stage: e.Stage, AtMs: e.At, Actor: e.Actor, Details: e.Details})
			}
		}
	}
	ws, err := s.claimWrites(id, rowKeys(read.row), leadKeys(lead), change, at, history)
	if err != nil {
		return nil, false, false, err
	}
	routing, ok, err := claimRoutingWrites(id, routed, ws)
	if err != nil || !ok {
		return nil, false, false, err
	}
	ws = append(routing, ws...)
	q, args, ok := claimStatement(owner, at, id, read.row.OfferSeq, read.rowVersion, ws)
	if !ok {
		return nil, false, false, nil
	}
	var n int64
	if err := s.write.ConnPool.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
		return nil, false, false, err
	}
	return lead, n == 1, n == 1, nil
}

// claimReadSQL reads a lead for claimOneStatement: its columns (a text
// column a database of an earlier version left NULL reads as empty), its row
// version, its stage events and its routing items (routed steps and claims)
// as JSON.
var claimReadSQL = func() string {
	var r leadRow
	cols := []string{"id"}
	for i, f := range r.fields()[1:] {
		if _, text := f.(*string); text {
			cols = append(cols, "COALESCE("+leadColumns[i]+", '')")
			continue
		}
		cols = append(cols, leadColumns[i])
	}
	return "SELECT " + strings.Join(cols, ", ") + ", xmin::text," +
		" (SELECT json_agg(json_build_object('id', e.id, 'kind', e.kind, 'stage', e.stage, 'at', e.at_ms," +
		" 'actor', CASE WHEN e.kind = $3 OR e.stage = $5 THEN e.actor END, 'details', CASE WHEN e.kind = $3 THEN e.details END))" +
		" FROM lead_events e WHERE e.lead_id = leads.id AND (e.kind = $1 OR (e.kind = $3 AND e.stage = $4)))" +
		" FROM leads WHERE id = $2"
}()

// claimedRead is a lead as claimOneStatement read it.
type claimedRead struct {
	row        leadRow
	rowVersion string
	// stageHistory holds its stage events and routed steps as JSON (with
	// the actors of claims and the details of routed steps).
	stageHistory *string
}

// claimRead reads lead id for claimOneStatement, scanning into the row's
// fields without GORM's reflection; found is false when there is no such
// lead.
func (s *Store) claimRead(ctx context.Context, id int64) (read claimedRead, found bool, err error) {
	dest := append(read.row.fields(), &read.rowVersion, &read.stageHistory)
	err = s.write.ConnPool.QueryRowContext(ctx, claimReadSQL, string(handoff.EventStage), id,
		string(handoff.EventRouted), string(handoff.StageSQL), string(handoff.StageClaimed)).Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return read, false, nil
	}
	return read, err == nil, err
}

// claimWrites are the inserts of a won claim of lead id after its
// conditional UPDATE, in the order the transaction runs them: the rollup
// (updateRollup, counted from history, the lead's keys before and after
// the claim), the events, their webhook messages and change's outbox
// messages.
func (s *Store) claimWrites(id int64, before, after rollupKeys, change handoff.LeadChange, at time.Time, history stageTimes) ([]tableWrite, error) {
	rows := make([]eventRow, len(change.Events))
	for i, e := range change.Events {
		var err error
		if rows[i], err = newEventRow(id, e); err != nil {
			return nil, err
		}
	}
	ws := mergeRollups([]leadRollup{{id: id, old: &before, new: after, events: rows}}).writes(txShard(DialectPostgres), history)
	if len(change.Events) > 0 {
		hooks, err := webhookMessages(s.hooks, id, change.Events, at)
		if err != nil {
			return nil, err
		}
		ws = append(ws, eventsWrite(rows), outboxWrite(hooks))
	}
	return append(ws, outboxWrite(outboxRows(at, change.Outbox))), nil
}

// claimStatement is the claim's conditional UPDATE of lead id (at routing
// step seq and row version version) followed by ws, one row an INSERT,
// each run only when the one before it wrote its row: one statement, with
// PostgreSQL's numbered bind variables, returning 1 when the claim won, 0
// when it changed nothing. ok is false when ws holds a statement other
// than rows to insert.
func claimStatement(owner handoff.Owner, at time.Time, id int64, seq int, version string, ws []tableWrite) (q string, args []any, ok bool) {
	var b strings.Builder
	// add writes sql with each ? numbered, and its vars.
	add := func(sql string, vars ...any) {
		for {
			i := strings.IndexByte(sql, '?')
			if i < 0 {
				break
			}
			args = append(args, vars[0])
			vars = vars[1:]
			b.WriteString(sql[:i] + "$" + strconv.Itoa(len(args)))
			sql = sql[i+1:]
		}
		b.WriteString(sql)
	}
	cols := claimColumns(owner, at)
	b.WriteString("WITH w0 AS (UPDATE leads SET ")
	for i, name := range slices.Sorted(maps.Keys(cols)) {
		if i > 0 {
			b.WriteString(", ")
		}
		if e, isExpr := cols[name].(clause.Expr); isExpr {
			add(name+" = "+e.SQL, e.Vars...)
			continue
		}
		add(name+" = ?", cols[name])
	}
	add(" WHERE id = ? AND stage = ? AND offer_seq = ? AND xmin::text = ? RETURNING id)", id, string(handoff.StageSQL), seq, version)
	n := 0
	for _, w := range ws {
		if w.sql != "" {
			return "", nil, false
		}
		then := ""
		if len(w.sums) > 0 {
			then = onConflictAdd(w.table, w.cols, w.sums)
		}
		names := strings.Join(append(slices.Clip(w.cols), w.sums...), ", ")
		for _, row := range w.rows {
			// SELECT, not VALUES: PostgreSQL types a bind variable of a
			// SELECT list by the column it is inserted into.
			fmt.Fprintf(&b, ", w%d AS (INSERT INTO %s (%s) SELECT ", n+1, w.table, names)
			add(placeholders(len(row)), row...)
			fmt.Fprintf(&b, " WHERE EXISTS (SELECT 1 FROM w%d)%s RETURNING 1)", n, then)
			n++
		}
	}
	b.WriteString(" SELECT count(*) FROM w0")
	return b.String(), args, true
}

// claimRoutingWrites are the routing rollup's writes of a claim whose other
// writes are ws, from the lead's routed steps and claims (history): ok
// is false when a claim of the lead is by a Teams user, whose other keys
// only the transaction reads (teamsRepKeys).
func claimRoutingWrites(id int64, history []eventRow, ws []tableWrite) (routing []tableWrite, ok bool, err error) {
	var events []eventRow
	for _, w := range ws {
		if w.table == "lead_events" {
			for _, row := range w.rows {
				events = append(events, eventRow{LeadID: id, Kind: row[1].(string), Stage: row[2].(string), AtMs: row[3].(int64),
					Actor: row[4].(string), Details: row[5].(string)})
			}
		}
	}
	if !slices.ContainsFunc(append(slices.Clip(history), events...), func(e eventRow) bool { return e.Kind == string(handoff.EventRouted) }) {
		return nil, true, nil // claims alone count nothing
	}
	items := make([]routingItem, 0, len(history))
	for _, e := range history {
		it, err := routingItemOf(e, e.ID)
		if err != nil {
			return nil, false, err
		}
		items = append(items, it)
	}
	r := mergeRollups([]leadRollup{{id: id, old: &rollupKeys{}, events: events}})
	changed, _ := r.routingChanged()
	if len(changed) == 0 {
		return nil, true, nil
	}
	if len(teamsClaimers(events)) > 0 || len(teamsActors(items)) > 0 {
		return nil, false, nil
	}
	changes, err := r.routingLeadChanges(changed, map[int64][]routingItem{id: items}, nil)
	if err != nil {
		return nil, false, err
	}
	return routingWrites(txShard(DialectPostgres), changes), true, nil
}
