package storage

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/handoff/handoff"
	"gorm.io/gorm"
)

// The funnel's daily rollup, kept in the same transaction as the stage
// events it sums, so that a long period's stage counts read a few thousand
// rows instead of millions of events.
//
// "Leads entering stage S in [A, B)" counts each lead once. For one lead
// and stage, with its stage events at t1 <= t2 <= … <= tk, the lead counts
// exactly when one i has ti in [A, B) and either i = 1 or t(i-1) < A: the
// first of its events inside the period. So
//
//	count = first entries (i = 1) in [A, B) + re-entries (i > 1) in [A, B) whose previous entry is before A
//
// and both terms add up over any split of [A, B). funnel_days counts the
// first entries per UTC day, source and campaign (and sums the deal value
// of the first won entries); funnel_reentries holds every later entry with
// its predecessor, exactly (few: a lead recycled and coming back). A
// period's partial days at either end are read from the events themselves
// (all entries there, minus the re-entries there). See rollupFunnel.

// dayMs is one rollup bucket: a UTC day.
const dayMs = 24 * 60 * 60 * 1000

// dayOf is the UTC day number of a time in Unix milliseconds.
func dayOf(atMs int64) int64 {
	d := atMs / dayMs
	if atMs%dayMs < 0 {
		d--
	}
	return d
}

// rollupShards spreads each day's rollup rows over this many rows on
// PostgreSQL, one chosen at random per transaction (a transaction of a
// group commit holds many leads), so that concurrent transactions, such as
// two committers or a burst of claims, seldom wait for each other's row
// lock; every shard is more rows for a report to add up. The rows of a
// day add up over its shards, whichever shard counted a lead. SQLite has
// one writer and keeps one row.
const rollupShards = 4

// txShard is the shard a transaction writes its rollup rows to.
func txShard(dialect string) int64 {
	if dialect != DialectPostgres {
		return 0
	}
	return rand.Int64N(rollupShards)
}

// rollupKeys are the lead's columns its rollup rows are keyed by or sum.
type rollupKeys struct {
	source, campaign string
	amount           int64
	facts            leadFacts // for funnel_lead_days and funnel_waits (rollup_leads.go)
}

// eventKeys are the keys the lead's stage history is counted under.
func (k rollupKeys) eventKeys() rollupKeys {
	return rollupKeys{source: k.source, campaign: k.campaign, amount: k.amount}
}

func leadKeys(l *handoff.Lead) rollupKeys {
	return rollupKeys{source: l.Source, campaign: l.Campaign, amount: l.AmountMinor,
		facts: newLeadFacts(msPtr(l.SQLAt), msPtr(l.ClaimedAt), msPtr(l.ContactedAt), msPtr(l.ContactDueAt), l.Reached)}
}

func rowKeys(r leadRow) rollupKeys {
	return rollupKeys{source: r.Source, campaign: r.Campaign, amount: r.AmountMinor,
		facts: newLeadFacts(r.SQLMs, r.ClaimedMs, r.ContactedMs, r.ContactDueMs, r.Reached)}
}

// leadRollup is what one transaction does to one lead: its keys before
// (nil for a lead created in it, which has no events yet) and after, and
// the events it records (only stage events count).
type leadRollup struct {
	id       int64
	old      *rollupKeys
	new      rollupKeys
	events   []eventRow
	stageSet bool // whether events holds a stage event
	// redated are earlier stage events of the lead the transaction dates
	// anew (dateImpliedEarlier): counted at their new time instead of the
	// old, once.
	redated []redatedEvent
}

// redatedEvent is a stage event of a lead moved from one time to another.
type redatedEvent struct {
	stage    string
	from, to int64
}

// dayKey is a funnel_days row.
type dayKey struct {
	day                     int64
	stage, source, campaign string
	shard                   int64
}

type dayDelta struct{ n, amount int64 }

type reentry struct{ at, prev int64 }

// updateRollup brings the rollup up to date with changes, before their
// events are inserted: one read of the earlier stage events of the known
// leads that gained a stage event or moved to other keys, then the writes
// of rollupChanges.writes (one upsert statement for the day rows, inserts
// of any re-entries), and the routing rollup's (updateRoutingRollup).
func updateRollup(tx *gorm.DB, changes []leadRollup) error {
	r := mergeRollups(changes)
	history, err := stageHistory(tx, r.known())
	if err != nil {
		return err
	}
	shard := txShard(tx.Dialector.Name())
	if err := execWrites(tx, r.writes(shard, history)); err != nil {
		return err
	}
	return updateRoutingRollup(tx, r, shard)
}

// rollupChanges are one transaction's leadRollups, one per lead.
type rollupChanges struct {
	merged   map[int64]*leadRollup
	order    []int64
	affected []*leadRollup // the leads whose stage history counts anew
}

// mergeRollups merges changes of the same lead and finds the leads whose
// stage history counts anew: those that gained a stage event or moved to
// other keys.
func mergeRollups(changes []leadRollup) rollupChanges {
	r := rollupChanges{merged: map[int64]*leadRollup{}}
	for _, c := range changes {
		for _, e := range c.events {
			if e.Kind == string(handoff.EventStage) {
				c.stageSet = true
				break
			}
		}
		if m, ok := r.merged[c.id]; ok { // the same lead twice in a batch
			m.new = c.new
			m.events = append(m.events, c.events...)
			m.redated = append(m.redated, c.redated...)
			m.stageSet = m.stageSet || c.stageSet
			continue
		}
		c.events = slices.Clone(c.events)
		r.merged[c.id] = &c
		r.order = append(r.order, c.id)
	}
	for _, id := range r.order {
		c := r.merged[id]
		if c.stageSet || len(c.redated) > 0 || (c.old != nil && c.old.eventKeys() != c.new.eventKeys()) {
			r.affected = append(r.affected, c)
		}
	}
	return r
}

// known are the affected leads that existed before the transaction: their
// earlier stage events count.
func (r rollupChanges) known() []int64 {
	var ids []int64
	for _, c := range r.affected {
		if c.old != nil {
			ids = append(ids, c.id)
		}
	}
	return ids
}

// stageHistory reads the stage events of leads ids: lead, stage, times.
func stageHistory(tx *gorm.DB, ids []int64) (stageTimes, error) {
	history := stageTimes{}
	dialect, db := tx.Dialector.Name(), planEach(tx)
	err := eventsOfLeads.eachChunk(dialect, ids, func(cond string, arg any) error {
		var rows []struct {
			LeadID int64
			Stage  string
			AtMs   int64
		}
		if err := db.Raw(stageHistorySQL(dialect, cond), arg, string(handoff.EventStage)).Scan(&rows).Error; err != nil {
			return fmt.Errorf("rollup: history: %w", err)
		}
		for _, r := range rows {
			history.add(r.LeadID, r.Stage, r.AtMs)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return history, nil
}

// stageHistorySQL reads the stage events of some leads by the lead index:
// those of the condition leads (eventsOfLeads), then the kind's bind
// variable. A planner without statistics prefers the KPI index's kind
// prefix, which holds every stage event of the database: a claim or an
// update of one lead then read them all. SQLite is told the index;
// PostgreSQL, which takes no hint, compares the kind as an expression no
// index holds (planned each time, planEach, it read all 40,010 stage
// events of a never-analysed lead_events with the lead index otherwise,
// TestPGLeadListReadsUseLeadIndexes).
func stageHistorySQL(dialect, leads string) string {
	kind := " AND kind = ?"
	if dialect == DialectPostgres {
		kind = " AND kind || '' = ?"
	}
	return "SELECT lead_id, stage, at_ms FROM lead_events" + leadIndexHint(dialect) + " WHERE " + leads + kind
}

// leadIndexHint makes SQLite read lead_events by the lead index (see
// stageHistorySQL).
func leadIndexHint(dialect string) string {
	if dialect == DialectSQLite {
		return " INDEXED BY idx_lead_events_lead_id"
	}
	return ""
}

// eventsOfLeads, wonOfLeads and factsOfLeads are the conditions on the
// lead of lead_events, funnel_won and routing_facts, for a list of leads.
var eventsOfLeads, wonOfLeads, factsOfLeads = newInList("lead_events", "lead_id"), newInList("funnel_won", "lead_id"),
	newInList("routing_facts", "lead_id")

// stageTimes are leads' stage events: lead, stage, times.
type stageTimes map[int64]map[string][]int64

func (h stageTimes) add(id int64, stage string, at int64) {
	if h[id] == nil {
		h[id] = map[string][]int64{}
	}
	h[id][stage] = append(h[id][stage], at)
}

// writes are the rollup's writes for the changes, given the earlier stage
// events of the known leads (history), in shard: the lead days, one
// upsert of the day rows, and the re-entries and won rows.
func (r rollupChanges) writes(shard int64, history stageTimes) []tableWrite {
	ws := leadDaysWrites(shard, r.merged, r.order)
	if len(r.affected) == 0 {
		return ws
	}
	deltas := map[dayKey]dayDelta{}
	add := func(id int64, k rollupKeys, stage string, at, sign int64) {
		key := dayKey{day: dayOf(at), stage: stage, source: k.source, campaign: k.campaign, shard: shard}
		d := deltas[key]
		d.n += sign
		if stage == string(handoff.StageWon) {
			d.amount += sign * k.amount
		}
		deltas[key] = d
	}
	type leadStage struct {
		id    int64
		stage string
	}
	var cleared []leadStage
	var wonOf []int64 // leads whose funnel_won rows are written anew
	var wonRows [][]any
	var added [][]any // funnel_reentries rows
	for _, c := range r.affected {
		before := history[c.id]
		after := map[string][]int64{}
		for st, ts := range before {
			after[st] = slices.Clone(ts)
		}
		for _, e := range c.events {
			if e.Kind == string(handoff.EventStage) {
				after[e.Stage] = append(after[e.Stage], e.AtMs)
			}
		}
		for _, rd := range c.redated {
			if i := slices.Index(after[rd.stage], rd.from); i >= 0 {
				after[rd.stage][i] = rd.to
			}
		}
		won, lead := string(handoff.StageWon), string(handoff.StageLead)
		// after is before and the new events: a length tells a change, and
		// a redated event may move the first touch.
		if len(after[won]) > 0 && (len(after[won]) != len(before[won]) || len(after[lead]) != len(before[lead]) || len(c.redated) > 0) {
			if c.old != nil {
				wonOf = append(wonOf, c.id)
			}
			ts := slices.Clone(after[won])
			slices.Sort(ts)
			var touch any
			if len(after[lead]) > 0 {
				touch = slices.Min(after[lead])
			}
			for i, t := range ts {
				var prev any
				if i > 0 {
					prev = ts[i-1]
				}
				wonRows = append(wonRows, []any{c.id, t, prev, touch})
			}
		}
		for st, ts := range after {
			old := slices.Clone(before[st])
			slices.Sort(old)
			slices.Sort(ts)
			if c.old != nil && len(old) > 0 {
				add(c.id, *c.old, st, old[0], -1)
			}
			add(c.id, c.new, st, ts[0], +1)
			oldR, newR := reentries(old), reentries(ts)
			if len(oldR) > 0 && !slices.Equal(oldR, newR[:min(len(oldR), len(newR))]) {
				cleared = append(cleared, leadStage{c.id, st})
				oldR = nil
			}
			for _, r := range newR[len(oldR):] {
				added = append(added, []any{c.id, st, r.at, r.prev})
			}
		}
	}

	keys := make([]dayKey, 0, len(deltas))
	for k, d := range deltas {
		if d != (dayDelta{}) {
			keys = append(keys, k)
		}
	}
	// One order for every transaction, so that two never wait for each
	// other's rows in opposite orders.
	slices.SortFunc(keys, func(a, b dayKey) int {
		return cmp.Or(cmp.Compare(a.day, b.day), cmp.Compare(a.shard, b.shard), strings.Compare(a.stage, b.stage),
			strings.Compare(a.source, b.source), strings.Compare(a.campaign, b.campaign))
	})
	days := tableWrite{what: "rollup: days", table: "funnel_days", cols: []string{"day", "stage", "source", "campaign", "shard"}, sums: []string{"n", "amount_minor"}}
	for _, k := range keys {
		d := deltas[k]
		days.rows = append(days.rows, []any{k.day, k.stage, k.source, k.campaign, k.shard, d.n, d.amount})
	}
	ws = append(ws, days)
	for _, ls := range cleared {
		ws = append(ws, tableWrite{what: "rollup: reentries", sql: "DELETE FROM funnel_reentries WHERE lead_id = ? AND stage = ?", args: []any{ls.id, ls.stage}})
	}
	if len(wonOf) > 0 {
		ws = append(ws, tableWrite{what: "rollup: won", deleteOf: wonOfLeads, deleteIDs: wonOf})
	}
	return append(ws,
		tableWrite{what: "rollup", table: "funnel_won", cols: []string{"lead_id", "at_ms", "prev_ms", "first_touch_ms"}, rows: wonRows},
		tableWrite{what: "rollup", table: "funnel_reentries", cols: []string{"lead_id", "stage", "at_ms", "prev_ms"}, rows: added})
}

// reentries are the entries after the first of sorted times, each with its
// predecessor.
func reentries(sorted []int64) []reentry {
	var out []reentry
	for i := 1; i < len(sorted); i++ {
		out = append(out, reentry{at: sorted[i], prev: sorted[i-1]})
	}
	return out
}
