package storage

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strings"

	"github.com/handoff/handoff"
	"gorm.io/gorm"
)

// The routing rollup, kept in the same transaction as the routed events and
// claims it counts, so that the funnel's routing (handoff.MeasureRouting
// over a period) reads a few rows per day instead of decoding every routed
// event of the period.
//
// MeasureRouting reads each lead's routed steps and claims of the period in
// time order. Everything it counts is a fact of one step or claim whose
// counting in [A, B) depends at most on one earlier item of the same lead
// (its predecessor, prev):
//
//   - offer, passed, timed_out, ended (another ending), opened: the step's
//     time in [A, B);
//   - accept (a claim by the rep of the offer just before it): the claim in
//     [A, B) and the offer (prev) at or after A;
//   - wait (a step waiting for a rep) and pool (a first offer with the reps
//     available, for the fair shares): the step in [A, B) and the lead's
//     previous such step (prev) before A, or none: each lead once.
//
// routing_facts holds every fact of every lead, exactly; routing_days
// counts them per UTC day of the fact, UTC day of its predecessor (or
// noPrevDay), kind, rep, pool and, for an accept, the half-octave bucket of
// its offer-to-accept delay. A period's whole days are read from
// routing_days, its partial days at either end from routing_facts, and the
// exact delays only for the bucket that holds a rep's median. See
// Store.routingStats.

// Kinds of routing facts.
const (
	factOffer    = "offer"
	factAccept   = "accept"
	factPassed   = "passed"
	factTimedOut = "timed_out"
	factEnded    = "ended"
	factOpened   = "opened"
	factWait     = "wait"
	factPool     = "pool"
)

// noPrevDay is routing_days' prev_day of a fact without a predecessor:
// before any day.
const noPrevDay = math.MinInt32

// poolSep separates the rep keys of a pool.
const poolSep = "\n"

// routingFact is one counted fact of a lead's routing (see above).
type routingFact struct {
	kind    string
	at      int64
	prev    int64 // with hasPrev
	hasPrev bool
	rep     string // rep key; empty for opened and wait
	pool    string // a pool's rep keys joined by poolSep
	delay   int64  // an accept's offer-to-accept milliseconds
}

// delayBuckets is the number of offer-to-accept delay buckets: octaves of
// whole seconds, the last open-ended (from 2^22 s, 48 days).
const delayBuckets = 24

// delayBucket is the bucket an offer-to-accept delay of ms milliseconds
// falls in: 0 under a second, b for [2^(b-1), 2^b) seconds.
func delayBucket(ms int64) int64 {
	return int64(min(bits.Len64(uint64(max(ms, 0)/1000)), delayBuckets-1))
}

// routingItem is a routed step or a claim of a lead as the routing measure
// reads it; seq orders items of the same time (steps first, then by event
// id).
type routingItem struct {
	at, seq int64
	claim   bool
	actor   string
	step    handoff.RoutedStep
}

// isRoutingEvent reports whether an event row is read by the routing
// measure: a routed step of an SQL or a claim.
func isRoutingEvent(kind, stage string) bool {
	return kind == string(handoff.EventRouted) && stage == string(handoff.StageSQL) ||
		kind == string(handoff.EventStage) && stage == string(handoff.StageClaimed)
}

// routingItemOf is event row r as a routing item, seq its order.
func routingItemOf(r eventRow, seq int64) (routingItem, error) {
	if r.Kind != string(handoff.EventRouted) {
		return routingItem{at: r.AtMs, seq: seq, claim: true, actor: r.Actor}, nil
	}
	st, err := decodeRoutedStep(r)
	return routingItem{at: r.AtMs, seq: seq, step: st}, err
}

// decodeRoutedStep reads a routed event's details: who was offered, whose
// offer ended and how, and, for an offer that ends none, the reps available.
func decodeRoutedStep(r eventRow) (handoff.RoutedStep, error) {
	var d map[string]string
	if r.Details != "" {
		if err := json.Unmarshal([]byte(r.Details), &d); err != nil {
			return handoff.RoutedStep{}, fmt.Errorf("storage: routing: lead %d details: %w", r.LeadID, err)
		}
	}
	st := handoff.RoutedStep{LeadID: r.LeadID, At: fromMs(r.AtMs), Opened: d["state"] == string(handoff.OfferOpen),
		Waiting: d["state"] == string(handoff.OfferWaiting), Ending: handoff.SkipReason(d["ending"])}
	if k := d["offered"]; k != "" {
		st.Offered = handoff.ParseRepKey(k)
	}
	if k := d["ended"]; k != "" {
		st.Ended = handoff.ParseRepKey(k)
	}
	if raw := d["decision"]; raw != "" && !st.Offered.IsZero() && st.Ended.IsZero() {
		var decision handoff.RouteDecision
		if err := json.Unmarshal([]byte(raw), &decision); err != nil {
			return handoff.RoutedStep{}, fmt.Errorf("storage: routing: lead %d decision: %w", r.LeadID, err)
		}
		for _, c := range decision.Candidates {
			if c.Available() {
				st.Available = append(st.Available, c.Rep)
			}
		}
	}
	return st, nil
}

// teamsActors are the Bot Framework user ids of items' Teams claims.
func teamsActors(items []routingItem) []string {
	var ids []string
	for _, it := range items {
		if id, ok := strings.CutPrefix(it.actor, "teams:"); ok && it.claim {
			ids = append(ids, id)
		}
	}
	return ids
}

// leadRoutingFacts are the facts of one lead's routing items, in time
// order, as MeasureRouting counts them. A Teams claim's actor is the key
// the lead was offered under when it names the same user (teamsKeys, from
// teamsRepKeys): see routedClaims.
func leadRoutingFacts(items []routingItem, teamsKeys map[string][]string) []routingFact {
	items = slices.Clone(items)
	slices.SortFunc(items, func(a, b routingItem) int {
		return cmp.Or(cmp.Compare(a.at, b.at), compareBool(a.claim, b.claim), cmp.Compare(a.seq, b.seq))
	})
	offered := map[string]string{}
	for _, it := range items {
		if !it.claim && !it.step.Offered.IsZero() {
			offered[strings.ToLower(it.step.Offered.Key())] = it.step.Offered.Key()
		}
	}
	var out []routingFact
	var current *routingItem
	var lastWait, lastPool routingFact // at, with hasPrev set when there was one
	for i := range items {
		it := &items[i]
		if it.claim {
			actor := it.actor
			if id, ok := strings.CutPrefix(actor, "teams:"); ok {
				for _, k := range teamsKeys[id] {
					if key, ok := offered[k]; ok {
						actor = key
						break
					}
				}
			}
			if current != nil && current.step.Offered.Key() == actor {
				out = append(out, routingFact{kind: factAccept, at: it.at, prev: current.at, hasPrev: true,
					rep: actor, delay: it.at - current.at})
			}
			current = nil
			continue
		}
		s := it.step
		if !s.Ended.IsZero() {
			kind := factEnded
			switch s.Ending {
			case handoff.SkipPassed:
				kind = factPassed
			case handoff.SkipTimedOut:
				kind = factTimedOut
			}
			out = append(out, routingFact{kind: kind, at: it.at, rep: s.Ended.Key()})
		}
		current = nil
		if s.Opened {
			out = append(out, routingFact{kind: factOpened, at: it.at})
		}
		if s.Waiting {
			out = append(out, routingFact{kind: factWait, at: it.at, prev: lastWait.at, hasPrev: lastWait.hasPrev})
			lastWait = routingFact{at: it.at, hasPrev: true}
		}
		if !s.Offered.IsZero() {
			if s.Ended.IsZero() && len(s.Available) > 0 {
				keys := make([]string, len(s.Available))
				for k, r := range s.Available {
					keys[k] = r.Key()
				}
				out = append(out, routingFact{kind: factPool, at: it.at, prev: lastPool.at, hasPrev: lastPool.hasPrev,
					pool: strings.Join(keys, poolSep)})
				lastPool = routingFact{at: it.at, hasPrev: true}
			}
			out = append(out, routingFact{kind: factOffer, at: it.at, rep: s.Offered.Key()})
			current = it
		}
	}
	return out
}

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// routingDayKey is a routing_days row: a rep's facts (rep set, pool
// empty) or the team's (rep empty) of a UTC day, whose predecessor was on
// prevDay (accepts, waits, pools), or none or on the same day (noPrevDay;
// see routingFact.count), so that a day has mostly one row per rep.
type routingDayKey struct {
	day, prevDay int64
	rep, pool    string
	shard        int64
}

// routingDayCols are the counts of a routing_days row: a rep's offers and
// how they ended, the team's openings, waits and pools, and a rep's
// accepts per delay bucket (h0, h1, …).
var routingDayCols = func() []string {
	cols := []string{"offered", "passed", "timed_out", "ended", "opened", "waited", "pooled"}
	for b := range delayBuckets {
		cols = append(cols, fmt.Sprintf("h%d", b))
	}
	return cols
}()

// routingDayCounts are the counts of a routing_days row, as routingDayCols.
type routingDayCounts [7 + delayBuckets]int64

// routingColumn is the index in routingDayCols of the count of fact kind
// (for an accept, of its delay bucket).
var routingColumn = map[string]int{factOffer: 0, factPassed: 1, factTimedOut: 2, factEnded: 3, factOpened: 4, factWait: 5, factPool: 6, factAccept: 7}

// count adds sign times f to the counts of its routing_days row in shard.
func (f routingFact) count(days map[routingDayKey]*routingDayCounts, shard, sign int64) {
	k := routingDayKey{day: dayOf(f.at), prevDay: noPrevDay, rep: f.rep, pool: f.pool, shard: shard}
	if f.hasPrev {
		switch prevDay := dayOf(f.prev); {
		case prevDay != k.day:
			k.prevDay = prevDay
		case f.kind != factAccept:
			// A wait or pool after another of the same day counts in no
			// period of whole days (partial days read routing_facts).
			return
		}
		// An accept of an offer of the same day counts with its day, in
		// the day's row without a predecessor.
	}
	c := days[k]
	if c == nil {
		c = &routingDayCounts{}
		days[k] = c
	}
	col := routingColumn[f.kind]
	if f.kind == factAccept {
		col += int(delayBucket(f.delay))
	}
	c[col] += sign
}

// routingDaysWrite upserts the counts of days, in one order for every
// transaction (as for funnel_days).
func routingDaysWrite(days map[routingDayKey]*routingDayCounts) tableWrite {
	keys := make([]routingDayKey, 0, len(days))
	for k, c := range days {
		if *c != (routingDayCounts{}) {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b routingDayKey) int {
		return cmp.Or(cmp.Compare(a.day, b.day), cmp.Compare(a.shard, b.shard), strings.Compare(a.rep, b.rep),
			strings.Compare(a.pool, b.pool), cmp.Compare(a.prevDay, b.prevDay))
	})
	w := tableWrite{what: "rollup: routing days", table: "routing_days", cols: []string{"day", "prev_day", "rep", "pool", "shard"}, sums: routingDayCols}
	for _, k := range keys {
		row := []any{k.day, k.prevDay, k.rep, k.pool, k.shard}
		for _, n := range days[k] {
			row = append(row, n)
		}
		w.rows = append(w.rows, row)
	}
	return w
}

// factRow is f's routing_facts row of lead id.
func (f routingFact) row(id int64) []any {
	var prev any
	if f.hasPrev {
		prev = f.prev
	}
	var bucket int64
	if f.kind == factAccept {
		bucket = delayBucket(f.delay)
	}
	return []any{id, f.kind, f.at, prev, f.rep, f.pool, f.delay, bucket}
}

var routingFactCols = []string{"lead_id", "kind", "at_ms", "prev_ms", "rep", "pool", "delay_ms", "bucket"}

// routingLeadChange is one lead's routing before and after a transaction.
type routingLeadChange struct {
	id            int64
	before, after []routingFact
}

// routingWrites are the writes of the routing rollup for changes, in
// shard: the facts that a lead gained inserted (or, when it lost any, its
// facts deleted and written anew) and one upsert of the day rows.
func routingWrites(shard int64, changes []routingLeadChange) []tableWrite {
	days := map[routingDayKey]*routingDayCounts{}
	facts := tableWrite{what: "rollup: routing facts", table: "routing_facts", cols: routingFactCols}
	var cleared []int64
	for _, c := range changes {
		have := map[routingFact]int{}
		for _, f := range c.before {
			have[f]++
			f.count(days, shard, -1)
		}
		var added []routingFact
		for _, f := range c.after {
			f.count(days, shard, +1)
			if have[f] > 0 {
				have[f]--
			} else {
				added = append(added, f)
			}
		}
		lost := false
		for _, n := range have {
			lost = lost || n > 0
		}
		if lost {
			cleared = append(cleared, c.id)
			added = c.after
		}
		for _, f := range added {
			facts.rows = append(facts.rows, f.row(c.id))
		}
	}
	var ws []tableWrite
	if len(cleared) > 0 {
		ws = append(ws, tableWrite{what: "rollup: routing facts", sql: "DELETE FROM routing_facts WHERE lead_id IN ?", args: []any{cleared}})
	}
	if w := routingDaysWrite(days); len(w.rows) > 0 {
		ws = append(ws, w)
	}
	if len(facts.rows) > 0 {
		ws = append(ws, facts)
	}
	return ws
}

// routingChanged are the leads of r that gained a routed step or a claim,
// and among them those known before the transaction (whose earlier items
// count).
func (r rollupChanges) routingChanged() (changed, known []int64) {
	for _, id := range r.order {
		c := r.merged[id]
		for _, e := range c.events {
			if isRoutingEvent(e.Kind, e.Stage) {
				changed = append(changed, id)
				if c.old != nil {
					known = append(known, id)
				}
				break
			}
		}
	}
	return changed, known
}

// routingLeadChanges computes the routing facts of the changed leads
// before and after the transaction from their earlier items (history) and
// the events the transaction adds.
func (r rollupChanges) routingLeadChanges(changed []int64, history map[int64][]routingItem, teamsKeys map[string][]string) ([]routingLeadChange, error) {
	out := make([]routingLeadChange, 0, len(changed))
	for _, id := range changed {
		before := history[id]
		after := slices.Clip(before)
		for i, e := range r.merged[id].events {
			if !isRoutingEvent(e.Kind, e.Stage) {
				continue
			}
			it, err := routingItemOf(e, math.MaxInt64/2+int64(i)) // after every stored event
			if err != nil {
				return nil, err
			}
			after = append(after, it)
		}
		c := routingLeadChange{id: id, after: leadRoutingFacts(after, teamsKeys)}
		if len(before) > 0 {
			c.before = leadRoutingFacts(before, teamsKeys)
		}
		out = append(out, c)
	}
	return out, nil
}

// routingEventsSQL reads the routing items of some leads by the lead index
// (see stageHistorySQL).
func routingEventsSQL(dialect string) string {
	hint := ""
	if dialect == DialectSQLite {
		hint = " INDEXED BY idx_lead_events_lead_id"
	}
	return "SELECT id, lead_id, kind, stage, at_ms, actor, details FROM lead_events" + hint +
		" WHERE lead_id IN ? AND ((kind = ? AND stage = ?) OR (kind = ? AND stage = ?))"
}

var routingEventArgs = []any{string(handoff.EventRouted), string(handoff.StageSQL), string(handoff.EventStage), string(handoff.StageClaimed)}

// routingHistory reads the routing items of leads ids.
func routingHistory(tx *gorm.DB, ids []int64) (map[int64][]routingItem, error) {
	out := map[int64][]routingItem{}
	q := routingEventsSQL(tx.Dialector.Name())
	for start := 0; start < len(ids); start += 500 {
		var rows []eventRow
		if err := tx.Raw(q, append([]any{ids[start:min(start+500, len(ids))]}, routingEventArgs...)...).Scan(&rows).Error; err != nil {
			return nil, fmt.Errorf("rollup: routing history: %w", err)
		}
		for _, r := range rows {
			it, err := routingItemOf(r, r.ID)
			if err != nil {
				return nil, err
			}
			out[r.LeadID] = append(out[r.LeadID], it)
		}
	}
	return out, nil
}

// teamsClaimers are the Bot Framework user ids of the Teams claims among
// events.
func teamsClaimers(events []eventRow) []string {
	var ids []string
	for _, e := range events {
		if id, ok := strings.CutPrefix(e.Actor, "teams:"); ok && e.Kind == string(handoff.EventStage) && e.Stage == string(handoff.StageClaimed) {
			ids = append(ids, id)
		}
	}
	return ids
}

// routingHistoryKeys reads the routing items of leads ids and the other
// keys of their Teams claimers and of actors (teamsRepKeys).
func routingHistoryKeys(tx *gorm.DB, ids []int64, actors []string) (map[int64][]routingItem, map[string][]string, error) {
	history, err := routingHistory(tx, ids)
	if err != nil {
		return nil, nil, err
	}
	for _, id := range ids {
		actors = append(actors, teamsActors(history[id])...)
	}
	teamsKeys, err := teamsRepKeys(tx, actors)
	if err != nil {
		return nil, nil, fmt.Errorf("rollup: routing: %w", err)
	}
	return history, teamsKeys, nil
}

// updateRoutingRollup is updateRollup's part for routing: the routing
// items of the known leads that gained one are read, and the facts they
// gained or lost written, in shard.
func updateRoutingRollup(tx *gorm.DB, r rollupChanges, shard int64) error {
	changed, known := r.routingChanged()
	if len(changed) == 0 {
		return nil
	}
	var actors []string
	for _, id := range changed {
		actors = append(actors, teamsClaimers(r.merged[id].events)...)
	}
	history, teamsKeys, err := routingHistoryKeys(tx, known, actors)
	if err != nil {
		return err
	}
	changes, err := r.routingLeadChanges(changed, history, teamsKeys)
	if err != nil {
		return err
	}
	return execWrites(tx, routingWrites(shard, changes))
}

// newLeadsRoutingWrites are the routing rollup's writes for r's leads,
// all new (no earlier items), in shard; ok is false when one has a Teams
// claim, whose claimer's other keys only the transaction reads.
func newLeadsRoutingWrites(r rollupChanges, shard int64) (ws []tableWrite, ok bool, err error) {
	changed, _ := r.routingChanged()
	for _, id := range changed {
		if len(teamsClaimers(r.merged[id].events)) > 0 {
			return nil, false, nil
		}
	}
	changes, err := r.routingLeadChanges(changed, nil, nil)
	if err != nil {
		return nil, false, err
	}
	return routingWrites(shard, changes), true, nil
}

// refreshRoutingRollup counts the routing of leads ids anew from their
// events, after a change that rewrote them in place (an erasure empties
// their details): the facts kept for them are replaced by the ones their
// events now give.
func refreshRoutingRollup(tx *gorm.DB, ids []int64) error {
	type factRow struct {
		LeadID, AtMs, DelayMs int64
		PrevMs                *int64
		Kind, Rep, Pool       string
	}
	var kept []factRow
	for start := 0; start < len(ids); start += 500 {
		var rows []factRow
		if err := tx.Raw("SELECT lead_id, kind, at_ms, prev_ms, rep, pool, delay_ms FROM routing_facts WHERE lead_id IN ?",
			ids[start:min(start+500, len(ids))]).Scan(&rows).Error; err != nil {
			return fmt.Errorf("rollup: routing facts: %w", err)
		}
		kept = append(kept, rows...)
	}
	if len(kept) == 0 {
		return nil // nothing was counted, and an erasure adds nothing
	}
	before := map[int64][]routingFact{}
	var changed []int64
	for _, k := range kept {
		if before[k.LeadID] == nil {
			changed = append(changed, k.LeadID)
		}
		f := routingFact{kind: k.Kind, at: k.AtMs, rep: k.Rep, pool: k.Pool, delay: k.DelayMs}
		if k.PrevMs != nil {
			f.prev, f.hasPrev = *k.PrevMs, true
		}
		before[k.LeadID] = append(before[k.LeadID], f)
	}
	history, teamsKeys, err := routingHistoryKeys(tx, changed, nil)
	if err != nil {
		return err
	}
	changes := make([]routingLeadChange, len(changed))
	for i, id := range changed {
		changes[i] = routingLeadChange{id: id, before: before[id], after: leadRoutingFacts(history[id], teamsKeys)}
	}
	return execWrites(tx, routingWrites(txShard(tx.Dialector.Name()), changes))
}
