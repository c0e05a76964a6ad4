package storage

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/handoff/handoff"
	"gorm.io/gorm"
)

// RoutingStats measures routing over [from, to) as handoff.MeasureRouting
// counts the routed events and the claims of the period, from the routing
// rollup (rollup_routing.go). An offer made before from and accepted in
// the period is not counted.
func (s *Store) RoutingStats(ctx context.Context, from, to time.Time) (handoff.RoutingStats, error) {
	return s.routingStats(ctx, ms(from), ms(to))
}

// routingCount is a number of routing facts of one kind, rep, pool and
// delay bucket.
type routingCount struct {
	Kind, Rep, Pool string
	Bucket, N       int64
}

// routingStats is RoutingStats over [from, to) in milliseconds: the whole
// UTC days from routing_days, the partial days at either end from
// routing_facts, and every rep's median offer-to-accept time from the
// exact delays of the bucket that holds it, in one statement.
func (s *Store) routingStats(ctx context.Context, from, to int64) (stats handoff.RoutingStats, err error) {
	// One snapshot for the counts and the medians' bucket reads.
	err = s.readSnapshot(ctx, func(db *gorm.DB) error {
		stats, err = s.routingStatsOn(db, from, to)
		return err
	})
	return stats, err
}

// routingStatsOn is routingStats read through db.
func (s *Store) routingStatsOn(db *gorm.DB, from, to int64) (handoff.RoutingStats, error) {
	acc := routingAcc{reps: map[string]*routingRepAcc{}, pools: map[string]int64{}}
	read := func(what, q string, sign func(kind string) int64, args ...any) error {
		var rows []routingCount
		if err := db.Raw(q, args...).Scan(&rows).Error; err != nil {
			return fmt.Errorf("storage: routing stats: %s: %w", what, err)
		}
		for _, r := range rows {
			acc.add(r, sign(r.Kind))
		}
		return nil
	}
	plus := func(string) int64 { return 1 }
	firstDay, endDay := dayOf(from+dayMs-1), dayOf(to) // the whole days [firstDay, endDay)
	parts := [][2]int64{{from, to}}
	if firstDay < endDay {
		headEnd, tailStart := firstDay*dayMs, endDay*dayMs
		parts = [][2]int64{{from, headEnd}, {tailStart, to}}
		if err := s.routingDays(db, &acc, firstDay, endDay); err != nil {
			return handoff.RoutingStats{}, err
		}
		// The whole days took a predecessor in the partial first day for
		// one before the period: accepts it left out, waits and pools it
		// counted.
		if from < headEnd {
			q := "SELECT kind, rep, pool, bucket, COUNT(*) AS n FROM routing_facts WHERE prev_ms >= ? AND prev_ms < ?" +
				" AND at_ms >= ? AND at_ms < ? GROUP BY kind, rep, pool, bucket"
			sign := func(kind string) int64 {
				if kind == factAccept {
					return 1
				}
				return -1
			}
			if err := read("first day", q, sign, from, headEnd, headEnd, tailStart); err != nil {
				return handoff.RoutingStats{}, err
			}
		}
	}
	for _, part := range parts {
		if part[0] >= part[1] {
			continue
		}
		q := "SELECT kind, rep, pool, bucket, COUNT(*) AS n FROM routing_facts WHERE at_ms >= ? AND at_ms < ?" +
			" AND (prev_ms IS NULL OR (kind = ? AND prev_ms >= ?) OR (kind <> ? AND prev_ms < ?)) GROUP BY kind, rep, pool, bucket"
		if err := read("partial days", q, plus, part[0], part[1], factAccept, from, factAccept, from); err != nil {
			return handoff.RoutingStats{}, err
		}
	}
	out := acc.stats()
	accepted := map[string]int64{}
	for _, r := range out.PerRep {
		if r.Accepted > 0 {
			accepted[r.Rep.Key()] = r.Accepted
		}
	}
	medians, err := s.mediansOfferToAccept(db, &acc, accepted, from, to)
	if err != nil {
		return handoff.RoutingStats{}, err
	}
	for i := range out.PerRep {
		out.PerRep[i].MedianOfferToAccept = medians[out.PerRep[i].Rep.Key()]
	}
	return out, nil
}

// routingDays adds the counts of the whole days [firstDay, endDay) to acc:
// an accept counts when its offer is in the period (or on its day), a wait
// or a pool when the lead's previous one is before it (or there is none).
func (s *Store) routingDays(db *gorm.DB, acc *routingAcc, firstDay, endDay int64) error {
	sums := make([]string, len(routingDayCols))
	for i, c := range routingDayCols {
		switch {
		case i >= routingColumn[factAccept]:
			sums[i] = "SUM(CASE WHEN prev_day >= @first OR prev_day = @none THEN " + c + " ELSE 0 END)"
		case i == routingColumn[factWait] || i == routingColumn[factPool]:
			sums[i] = "SUM(CASE WHEN prev_day < @first THEN " + c + " ELSE 0 END)"
		default:
			sums[i] = "SUM(" + c + ")"
		}
	}
	q := "SELECT rep, pool, " + strings.Join(sums, ", ") + " FROM routing_days WHERE day >= @first AND day < @end GROUP BY rep, pool"
	rows, err := db.Raw(q, map[string]any{"first": firstDay, "end": endDay, "none": noPrevDay}).Rows()
	if err != nil {
		return fmt.Errorf("storage: routing stats: days: %w", err)
	}
	defer rows.Close()
	var rep, pool string
	var counts routingDayCounts
	dest := []any{&rep, &pool}
	for i := range counts {
		dest = append(dest, &counts[i])
	}
	kinds := make([]string, len(routingDayCols))
	for kind, col := range routingColumn {
		kinds[col] = kind
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("storage: routing stats: days: %w", err)
		}
		for col, n := range counts {
			if n == 0 {
				continue
			}
			c := routingCount{Kind: kinds[min(col, routingColumn[factAccept])], Rep: rep, Pool: pool, N: n}
			if c.Kind == factAccept {
				c.Bucket = int64(col - routingColumn[factAccept])
			}
			acc.add(c, 1)
		}
	}
	return rows.Err()
}

// medianRead is the part of one rep's accepts that their median needs:
// the values at offsets [lo, hi] of one delay bucket, ordered by delay.
type medianRead struct {
	rep            string
	bucket, lo, hi int64
}

// medianReads are the reads of the one or two middle values of n accepts
// of rep counted per delay bucket in buckets.
func medianReads(rep string, buckets map[int64]int64, n int64) ([]medianRead, error) {
	ranks := []int64{n / 2}
	if n%2 == 0 {
		ranks = []int64{n/2 - 1, n / 2}
	}
	var reads []medianRead
	for _, rank := range ranks {
		below, found := int64(0), false
		for _, b := range slices.Sorted(maps.Keys(buckets)) {
			if rank >= below+buckets[b] {
				below += buckets[b]
				continue
			}
			if k := len(reads) - 1; k >= 0 && reads[k].bucket == b {
				reads[k].hi = rank - below // the next rank in the same bucket
			} else {
				reads = append(reads, medianRead{rep: rep, bucket: b, lo: rank - below, hi: rank - below})
			}
			found = true
			break
		}
		if !found {
			return nil, fmt.Errorf("storage: routing stats: median of %s: rank %d of %d not in the buckets", handoff.RepLogKey(rep), rank, n)
		}
	}
	return reads, nil
}

// medianReadsAtOnce is the number of medianReads a statement reads: each
// is a term of a compound SELECT, of which SQLite takes 500.
const medianReadsAtOnce = 500

// mediansOfferToAccept are the median delays of the accepts in [from,
// to) of each rep of accepted (their numbers), whose counts per delay
// bucket acc holds: the one or two middle values of every rep are read in
// one statement (one for each medianReadsAtOnce reads): a UNION ALL of a
// read of each bucket that holds some, which walks that bucket's delays in
// the index only up to them.
func (s *Store) mediansOfferToAccept(db *gorm.DB, acc *routingAcc, accepted map[string]int64, from, to int64) (map[string]time.Duration, error) {
	var reads []medianRead
	for _, rep := range slices.Sorted(maps.Keys(accepted)) {
		r, err := medianReads(rep, acc.reps[rep].buckets, accepted[rep])
		if err != nil {
			return nil, err
		}
		reads = append(reads, r...)
	}
	hint := ""
	if s.dialect == DialectSQLite {
		hint = " INDEXED BY idx_routing_facts_delay"
	}
	term := "SELECT * FROM (SELECT rep, delay_ms FROM routing_facts" + hint + " WHERE kind = ? AND rep = ? AND bucket = ?" +
		" AND at_ms >= ? AND at_ms < ? AND prev_ms >= ? ORDER BY delay_ms LIMIT ? OFFSET ?) m"
	values := map[string][]int64{}
	for start := 0; start < len(reads); start += medianReadsAtOnce {
		part := reads[start:min(start+medianReadsAtOnce, len(reads))]
		terms := make([]string, len(part))
		args := make([]any, 0, 8*len(part))
		for i, r := range part {
			terms[i] = term + strconv.Itoa(i)
			args = append(args, factAccept, r.rep, r.bucket, from, to, from, r.hi-r.lo+1, r.lo)
		}
		var got []struct {
			Rep     string
			DelayMs int64
		}
		if err := db.Raw(strings.Join(terms, " UNION ALL "), args...).Scan(&got).Error; err != nil {
			return nil, fmt.Errorf("storage: routing stats: medians: %w", err)
		}
		for _, g := range got {
			values[g.Rep] = append(values[g.Rep], g.DelayMs)
		}
	}
	out := make(map[string]time.Duration, len(accepted))
	for rep, n := range accepted {
		want := 2 - n%2 // the one or two middle values
		if int64(len(values[rep])) != want {
			return nil, fmt.Errorf("storage: routing stats: median of %s: %d middle values of %d accepts, want %d", handoff.RepLogKey(rep), len(values[rep]), n, want)
		}
		var sum time.Duration
		for _, v := range values[rep] {
			sum += time.Duration(v) * time.Millisecond
		}
		out[rep] = sum / time.Duration(want)
	}
	return out, nil
}

// routingAcc adds up routing counts of a period.
type routingAcc struct {
	reps           map[string]*routingRepAcc
	opened, waited int64
	pools          map[string]int64
}

type routingRepAcc struct {
	offered, accepted, passed, timedOut, ended int64
	buckets                                    map[int64]int64 // accepts per delay bucket
}

func (a *routingAcc) add(c routingCount, sign int64) {
	n := sign * c.N
	switch c.Kind {
	case factOpened:
		a.opened += n
		return
	case factWait:
		a.waited += n
		return
	case factPool:
		a.pools[c.Pool] += n
		return
	}
	r := a.reps[c.Rep]
	if r == nil {
		r = &routingRepAcc{buckets: map[int64]int64{}}
		a.reps[c.Rep] = r
	}
	switch c.Kind {
	case factOffer:
		r.offered += n
	case factAccept:
		r.accepted += n
		r.buckets[c.Bucket] += n
	case factPassed:
		r.passed += n
	case factTimedOut:
		r.timedOut += n
	case factEnded:
		r.ended += n
	}
}

// stats are the counts as MeasureRouting gives them, without the medians:
// every rep offered a lead or whose offer ended in the period, by key.
func (a *routingAcc) stats() handoff.RoutingStats {
	out := handoff.RoutingStats{OpenedToChannel: a.opened, Waited: a.waited}
	for _, key := range slices.Sorted(maps.Keys(a.reps)) {
		r := a.reps[key]
		if r.offered+r.accepted+r.passed+r.timedOut+r.ended == 0 {
			continue
		}
		out.PerRep = append(out.PerRep, handoff.RoutingRepStats{Rep: handoff.ParseRepKey(key),
			Offered: r.offered, Accepted: r.accepted, Passed: r.passed, TimedOut: r.timedOut})
	}
	total := int64(0)
	for _, n := range a.pools {
		total += n
	}
	if total > 0 {
		out.Pools = make([][]handoff.RepRef, 0, total)
	}
	for pool, n := range a.pools {
		keys := strings.Split(pool, poolSep)
		reps := make([]handoff.RepRef, len(keys))
		for i, k := range keys {
			reps[i] = handoff.ParseRepKey(k)
		}
		for range n {
			out.Pools = append(out.Pools, reps)
		}
	}
	return out
}
