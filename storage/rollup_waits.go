package storage

import (
	"cmp"
	"context"
	"fmt"
	"math/bits"
	"slices"
	"strings"

	"github.com/handoff/handoff"
	"gorm.io/gorm"
)

// The medians of the time to claim and to contact (the wait from becoming
// an SQL, of the SQL cycles claimed or contacted in the period, later than
// the SQL) from a histogram: funnel_waits counts the leads' waits per kind
// ("claim", "contact"), UTC day of the claim or contact, and bucket
// (waitBucket, eight per doubling of the wait); the store writes it with
// the lead row, as funnel_lead_days. A period's median adds up the buckets
// of its whole days, of the waits of its partial days (read from the
// leads) and of the finished cycles' waits in the period (sla_cycles,
// few; the histogram holds the leads' current cycles only), finds the
// bucket of the middle value(s), and reads only that bucket's waits in the
// period from the leads' index ordered by the wait (with the cycles' of
// that bucket): the median is exact, and reads one bucket's index entries
// instead of every wait of the period.

// waitKind is one of the two waits: its funnel_waits kind, the lead
// column whose time ends it, and the partial index ordered by it.
type waitKind struct{ kind, col, index string }

var (
	claimWait   = waitKind{kind: "claim", col: "claimed_ms", index: "idx_leads_kpi_claim_wait_v2"}
	contactWait = waitKind{kind: "contact", col: "contacted_ms", index: "idx_leads_kpi_contact_wait_v2"}
)

// waitBucket is the histogram bucket of a wait of w > 0 milliseconds:
// w itself under 8 ms, else eight buckets per power of two (the three bits
// after the leading one), so each bucket is at most 1/8 of its waits wide.
func waitBucket(w int64) int64 {
	if w < 8 {
		return w
	}
	e := bits.Len64(uint64(w)) - 1
	return int64(e)*8 + (w>>(e-3))&7
}

// waitBounds are the waits [lo, hi) of bucket b.
func waitBounds(b int64) (lo, hi int64) {
	if b < 8 {
		return b, b + 1
	}
	e, sub := b/8, b%8
	lo = (8 + sub) << (e - 3)
	return lo, lo + 1<<(e-3)
}

// waitKey is a funnel_waits row.
type waitKey struct {
	kind               string
	day, bucket, shard int64
}

// waits adds the lead's funnel_waits rows, times sign, to deltas.
func (f leadFacts) waits(shard, sign int64, deltas map[waitKey]int64) {
	for _, w := range []struct {
		kind string
		at   int64
	}{{claimWait.kind, f.claimed}, {contactWait.kind, f.contacted}} {
		if w.at != noTime && f.sql != noTime && w.at > f.sql {
			deltas[waitKey{kind: w.kind, day: dayOf(w.at), bucket: waitBucket(w.at - f.sql), shard: shard}] += sign
		}
	}
}

// waitsWrite is the upsert of deltas into funnel_waits, in one order for
// every transaction.
func waitsWrite(deltas map[waitKey]int64) tableWrite {
	keys := make([]waitKey, 0, len(deltas))
	for k, n := range deltas {
		if n != 0 {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b waitKey) int {
		return cmp.Or(strings.Compare(a.kind, b.kind), cmp.Compare(a.day, b.day), cmp.Compare(a.bucket, b.bucket), cmp.Compare(a.shard, b.shard))
	})
	w := tableWrite{what: "rollup: waits", table: "funnel_waits", cols: []string{"kind", "day", "bucket", "shard"}, sums: []string{"n"}}
	for _, k := range keys {
		w.rows = append(w.rows, []any{k.kind, k.day, k.bucket, k.shard, deltas[k]})
	}
	return w
}

// migrateWaits creates funnel_waits when it is missing and fills it from
// the leads (the buckets are computed here, not in SQL).
func migrateWaits(tx *gorm.DB, dialect string) error {
	if tx.Migrator().HasTable("funnel_waits") {
		return nil
	}
	ddl := "CREATE TABLE funnel_waits (kind VARCHAR(10) NOT NULL, day BIGINT NOT NULL, bucket INTEGER NOT NULL," +
		" shard INTEGER NOT NULL, n BIGINT NOT NULL, PRIMARY KEY (kind, day, bucket, shard))"
	if dialect == DialectSQLite {
		ddl += " WITHOUT ROWID" // the rows are their key: a period's read is one range of it
	}
	if err := tx.Exec(ddl).Error; err != nil {
		return fmt.Errorf("storage: migrate rollup: %w", err)
	}
	rows, err := tx.Raw("SELECT id, sql_ms, claimed_ms, contacted_ms FROM leads" +
		" WHERE claimed_ms > sql_ms OR contacted_ms > sql_ms").Rows()
	if err != nil {
		return fmt.Errorf("storage: backfill rollup: %w", err)
	}
	deltas := map[waitKey]int64{}
	for rows.Next() {
		var id int64
		var sqlMs, claimed, contacted *int64
		if err := rows.Scan(&id, &sqlMs, &claimed, &contacted); err != nil {
			rows.Close()
			return fmt.Errorf("storage: backfill rollup: %w", err)
		}
		shard := int64(0)
		if dialect == DialectPostgres {
			shard = id % rollupShards
		}
		newLeadFacts(sqlMs, claimed, contacted, nil, 0).waits(shard, +1, deltas)
	}
	err = rows.Err()
	rows.Close()
	if err == nil {
		err = execWrites(tx, []tableWrite{waitsWrite(deltas)})
	}
	if err == nil {
		err = analyze(tx, "funnel_waits")
	}
	if err != nil {
		return fmt.Errorf("storage: backfill rollup: %w", err)
	}
	return nil
}

// waitsRolled tells whether rollupMedianWait answers for f: not for a
// source or owner filter (the histogram is kept by neither) nor for a
// period without a whole UTC day.
func waitsRolled(f handoff.FunnelFilter) bool {
	from, to := ms(f.Period.Start), ms(f.Period.End)
	return f.Owner == "" && f.Source == "" && dayOf(from+dayMs-1) < dayOf(to)
}

// rollupMedianWait is the median wait of kind w over f's period from
// funnel_waits (see above), as median computes it from the leads; f must
// be one waitsRolled answers for.
// Its reads share one snapshot (readSnapshot): a wait that a claim or an
// erasure moves between them would otherwise leave the middle bucket
// holding other values than the histogram counted.
func (s *Store) rollupMedianWait(ctx context.Context, f handoff.FunnelFilter, w waitKind) (median *float64, err error) {
	from, to := ms(f.Period.Start), ms(f.Period.End)
	firstDay, endDay := dayOf(from+dayMs-1), dayOf(to)
	err = s.readSnapshot(ctx, func(db *gorm.DB) error {
		var rows []struct{ Bucket, N int64 }
		// One kind at a time: grouped by kind too, SQLite sorts the rows.
		err := db.Raw("SELECT bucket, SUM(n) AS n FROM funnel_waits WHERE kind = ? AND day >= ? AND day < ? GROUP BY bucket",
			w.kind, firstDay, endDay).Scan(&rows).Error
		if err != nil {
			return err
		}
		counts := make(map[int64]int64, len(rows))
		for _, r := range rows {
			counts[r.Bucket] += r.N
		}
		median, err = s.medianWait(db, w, counts, from, to, firstDay, endDay)
		return err
	})
	return median, err
}

// medianWait is the median wait of kind w in [from, to), given the
// histogram of its whole days [firstDay, endDay): the waits of the partial
// days at either end are added from the leads, then the middle ones read
// from the bucket(s) that hold them.
func (s *Store) medianWait(db *gorm.DB, w waitKind, counts map[int64]int64, from, to, firstDay, endDay int64) (*float64, error) {
	wait := "l." + w.col + " - l.sql_ms"
	for _, part := range [][2]int64{{from, firstDay * dayMs}, {endDay * dayMs, to}} {
		if part[0] >= part[1] {
			continue
		}
		var waits []int64
		err := db.Raw("SELECT "+wait+" FROM leads l WHERE l."+w.col+" >= ? AND l."+w.col+" < ? AND l."+w.col+" > l.sql_ms",
			part[0], part[1]).Scan(&waits).Error
		if err != nil {
			return nil, err
		}
		for _, d := range waits {
			counts[waitBucket(d)]++
		}
	}
	// The finished cycles' waits of the whole period: the histogram holds
	// the leads' current cycles only (cycles.go).
	inPeriod := " WHERE l." + w.col + " >= ? AND l." + w.col + " < ? AND l." + w.col + " > l.sql_ms"
	var cycleWaits []int64
	if err := db.Raw("SELECT "+wait+" FROM sla_cycles l"+inPeriod, from, to).Scan(&cycleWaits).Error; err != nil {
		return nil, err
	}
	for _, d := range cycleWaits {
		counts[waitBucket(d)]++
	}
	buckets := make([]int64, 0, len(counts))
	var n int64
	for b, c := range counts {
		if c < 0 {
			return nil, fmt.Errorf("funnel_waits: %s bucket %d counts %d", w.kind, b, c)
		}
		if c > 0 {
			buckets = append(buckets, b)
			n += c
		}
	}
	if n == 0 {
		return nil, nil
	}
	slices.Sort(buckets)
	// The middle value(s) are at positions lo and hi (equal for an odd
	// count) of the sorted waits; skip is how many waits come before the
	// bucket of lo.
	lo, hi := (n-1)/2, n/2
	var first, last, skip int64 = -1, -1, 0
	var seen int64
	for _, b := range buckets {
		if first < 0 && lo < seen+counts[b] {
			first, skip = b, seen
		}
		if hi < seen+counts[b] {
			last = b
			break
		}
		seen += counts[b]
	}
	low, _ := waitBounds(first)
	_, high := waitBounds(last)
	hint := ""
	if s.dialect == DialectSQLite {
		hint = " INDEXED BY " + w.index
	}
	inBuckets := " WHERE " + wait + " >= ? AND " + wait + " < ? AND l." + w.col + " > l.sql_ms" +
		" AND l." + w.col + " >= ? AND l." + w.col + " < ?"
	q, args := "SELECT "+wait+" AS d FROM leads l"+hint+inBuckets+" ORDER BY "+wait, []any{low, high, from, to}
	if len(cycleWaits) > 0 {
		// The leads' and the cycles' waits of those buckets, merged in order.
		q = "SELECT " + wait + " AS d FROM leads l" + hint + inBuckets +
			" UNION ALL SELECT " + wait + " AS d FROM sla_cycles l" + inBuckets + " ORDER BY 1"
		args = append(args, low, high, from, to)
	}
	var mid []int64
	err := db.Raw(q+" LIMIT ? OFFSET ?", append(args, hi-lo+1, lo-skip)...).Scan(&mid).Error
	if err != nil {
		return nil, err
	}
	if int64(len(mid)) != hi-lo+1 {
		return nil, fmt.Errorf("funnel_waits: %s: %d of %d middle waits in buckets %d to %d", w.kind, len(mid), hi-lo+1, first, last)
	}
	m := float64(mid[0]+mid[len(mid)-1]) / 2
	return &m, nil
}
