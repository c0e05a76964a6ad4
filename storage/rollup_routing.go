package storage

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strings"

	"github.com/handoff/handoff"
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
// noPrevDay), kind, rep, pool (keyed by its hash, poolKey) and, for an
// accept, the octave bucket of its offer-to-accept delay. A period's whole
// days are read from routing_days, its partial days at either end from
// routing_facts, and the exact delays only for the bucket that holds a
// rep's median. See Store.routingStats.

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
// teamsRepKeys, read when the claim is written: a Teams user's email
// learnt only after the claim does not make it an accept).
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
	w := tableWrite{what: "rollup: routing days", table: "routing_days", cols: []string{"day", "prev_day", "rep", "pool_key", "shard"},
		kept: []string{"pool"}, sums: routingDayCols}
	for _, k := range keys {
		row := []any{k.day, k.prevDay, k.rep, poolKey(k.pool), k.shard, k.pool}
		for _, n := range days[k] {
			row = append(row, n)
		}
		w.rows = append(w.rows, row)
	}
	return w
}

// poolKey is routing_days' key of a pool (its rep keys joined by poolSep):
// the first 128 bits of its SHA-256 in hex, empty for no pool. The pool
// itself, as long as its reps make it, is kept beside the key: in the key,
// a pool of a hundred reps was over PostgreSQL's limit on a btree index
// entry (2,704 bytes).
func poolKey(pool string) string {
	if pool == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(pool))
	return hex.EncodeToString(sum[:16])
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
