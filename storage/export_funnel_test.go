package storage

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/handoff/handoff"
	"gorm.io/gorm"
)

// SetKPIPlan forces the SQLite plans of the funnel queries for a test: the
// share of history above which stage counts walk the by-lead index, and the
// number of values above which a median walks its index instead of sorting.
// It returns a function that restores the defaults. Not safe for parallel tests.
func SetKPIPlan(share float64, medianSortUpTo int64) (restore func()) {
	oldShare, oldLimit := longPeriodShare, medianSortLimit
	longPeriodShare, medianSortLimit = share, medianSortUpTo
	return func() { longPeriodShare, medianSortLimit = oldShare, oldLimit }
}

// FunnelCountsFromEvents is FunnelCounts with every stage count read from
// the event log, never from the rollup: the reference the rollup is
// tested against.
func (s *Store) FunnelCountsFromEvents(ctx context.Context, f handoff.FunnelFilter) (handoff.FunnelCounts, error) {
	c, err := s.funnelCounts(ctx, f, false)
	if err != nil {
		return c, err
	}
	c.Routing, err = s.RoutingStatsFromEvents(ctx, f.Period.Start, f.Period.End)
	return c, err
}

// RoutingStatsFromEvents is RoutingStats measured from the event log, never
// from the routing rollup: every routed event and claim of the period,
// decoded and counted by handoff.MeasureRouting. The reference the rollup
// is tested against.
func (s *Store) RoutingStatsFromEvents(ctx context.Context, start, end time.Time) (handoff.RoutingStats, error) {
	db := s.db.WithContext(ctx)
	q := "SELECT id, lead_id, kind, stage, at_ms, actor, details FROM lead_events WHERE kind = ? AND stage = ? AND at_ms >= ? AND at_ms < ? ORDER BY id"
	var routed, claimed []eventRow
	if err := db.Raw(q, string(handoff.EventRouted), string(handoff.StageSQL), ms(start), ms(end)).Scan(&routed).Error; err != nil {
		return handoff.RoutingStats{}, err
	}
	if len(routed) == 0 {
		return handoff.RoutingStats{}, nil
	}
	if err := db.Raw(q, string(handoff.EventStage), string(handoff.StageClaimed), ms(start), ms(end)).Scan(&claimed).Error; err != nil {
		return handoff.RoutingStats{}, err
	}
	steps := make([]handoff.RoutedStep, 0, len(routed))
	offered := map[int64]map[string]string{} // lead → lowercase offered rep key → the key
	for _, r := range routed {
		st, err := decodeRoutedStepJSON(r)
		if err != nil {
			return handoff.RoutingStats{}, err
		}
		if k := st.Offered.Key(); !st.Offered.IsZero() {
			if offered[r.LeadID] == nil {
				offered[r.LeadID] = map[string]string{}
			}
			offered[r.LeadID][strings.ToLower(k)] = k
		}
		steps = append(steps, st)
	}
	keys, err := teamsRepKeys(db, teamsClaimers(claimed))
	if err != nil {
		return handoff.RoutingStats{}, err
	}
	claims := make([]handoff.RoutedClaim, len(claimed))
	for i, r := range claimed {
		actor := r.Actor
		if id, ok := strings.CutPrefix(r.Actor, "teams:"); ok {
			for _, k := range keys[id] {
				if key, ok := offered[r.LeadID][k]; ok {
					actor = key
					break
				}
			}
		}
		claims[i] = handoff.RoutedClaim{LeadID: r.LeadID, At: fromMs(r.AtMs), Actor: actor}
	}
	return handoff.MeasureRouting(steps, claims), nil
}

// RollupRows returns the funnel rollup as lines of text, sorted: the day
// rows summed over shards (those not zero), the lead days, the waits, the
// re-entries and the won entries.
func (s *Store) RollupRows(ctx context.Context) ([]string, error) {
	var out []string
	var days []struct {
		Day                     int64
		Stage, Source, Campaign string
		N, Amount               int64
	}
	err := s.db.WithContext(ctx).Raw("SELECT day, stage, source, campaign, SUM(n) AS n, SUM(amount_minor) AS amount" +
		" FROM funnel_days GROUP BY 1, 2, 3, 4").Scan(&days).Error
	if err != nil {
		return nil, err
	}
	for _, d := range days {
		if d.N != 0 || d.Amount != 0 {
			out = append(out, fmt.Sprintf("day %d %s %q %q: %d, %d", d.Day, d.Stage, d.Source, d.Campaign, d.N, d.Amount))
		}
	}
	var leadDays []struct {
		Day          int64
		Kind, Source string
		N, Opps, Won int64
	}
	err = s.db.WithContext(ctx).Raw("SELECT day, kind, source, SUM(n) AS n, SUM(opps) AS opps, SUM(won) AS won" +
		" FROM funnel_lead_days GROUP BY 1, 2, 3").Scan(&leadDays).Error
	if err != nil {
		return nil, err
	}
	for _, d := range leadDays {
		if d.N != 0 || d.Opps != 0 || d.Won != 0 {
			out = append(out, fmt.Sprintf("lead day %d %s %q: %d, %d, %d", d.Day, d.Kind, d.Source, d.N, d.Opps, d.Won))
		}
	}
	var waits []struct {
		Kind           string
		Day, Bucket, N int64
	}
	err = s.db.WithContext(ctx).Raw("SELECT kind, day, bucket, SUM(n) AS n FROM funnel_waits GROUP BY 1, 2, 3").Scan(&waits).Error
	if err != nil {
		return nil, err
	}
	for _, w := range waits {
		if w.N != 0 {
			out = append(out, fmt.Sprintf("waits %s day %d bucket %d: %d", w.Kind, w.Day, w.Bucket, w.N))
		}
	}
	var re []struct {
		LeadID       int64
		Stage        string
		AtMs, PrevMs int64
	}
	if err := s.db.WithContext(ctx).Raw("SELECT lead_id, stage, at_ms, prev_ms FROM funnel_reentries").Scan(&re).Error; err != nil {
		return nil, err
	}
	for _, r := range re {
		out = append(out, fmt.Sprintf("reentry %d %s %d after %d", r.LeadID, r.Stage, r.AtMs, r.PrevMs))
	}
	var won []struct {
		LeadID, AtMs         int64
		PrevMs, FirstTouchMs *int64
	}
	if err := s.db.WithContext(ctx).Raw("SELECT lead_id, at_ms, prev_ms, first_touch_ms FROM funnel_won").Scan(&won).Error; err != nil {
		return nil, err
	}
	str := func(v *int64) string {
		if v == nil {
			return "-"
		}
		return fmt.Sprint(*v)
	}
	for _, w := range won {
		out = append(out, fmt.Sprintf("won %d %d after %s, first touch %s", w.LeadID, w.AtMs, str(w.PrevMs), str(w.FirstTouchMs)))
	}
	cols := strings.Join(routingDayCols, "), SUM(")
	rows, err := s.db.WithContext(ctx).Raw("SELECT day, prev_day, rep, pool, SUM(" + cols + ") FROM routing_days GROUP BY 1, 2, 3, 4").Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var day, prevDay int64
		var rep, pool string
		var counts routingDayCounts
		dest := []any{&day, &prevDay, &rep, &pool}
		for i := range counts {
			dest = append(dest, &counts[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		if counts != (routingDayCounts{}) {
			out = append(out, fmt.Sprintf("routing day %d after %d %q %q: %v", day, prevDay, rep, pool, counts))
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var facts []struct {
		LeadID, AtMs, DelayMs, Bucket int64
		PrevMs                        *int64
		Kind, Rep, Pool               string
	}
	err = s.db.WithContext(ctx).Raw("SELECT lead_id, kind, at_ms, prev_ms, rep, pool, delay_ms, bucket FROM routing_facts").Scan(&facts).Error
	if err != nil {
		return nil, err
	}
	for _, f := range facts {
		out = append(out, fmt.Sprintf("routing fact %d %s %d after %s %q %q %d %d", f.LeadID, f.Kind, f.AtMs, str(f.PrevMs), f.Rep, f.Pool, f.DelayMs, f.Bucket))
	}
	sort.Strings(out)
	return out, nil
}

// RebuildRollup drops the funnel rollup and fills it again from the event
// log, as the migration does for a database that predates it.
func (s *Store) RebuildRollup(ctx context.Context) error {
	return s.write.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, table := range []string{"funnel_days", "funnel_reentries", "funnel_won", "funnel_lead_days", "funnel_waits", "routing_days", "routing_facts"} {
			if err := tx.Exec("DROP TABLE " + table).Error; err != nil {
				return err
			}
		}
		return migrateRollup(tx, s.dialect)
	})
}

// SetBetweenMedianReads runs f between a rolled-up median's read of its
// histogram and its next read (rollupMedianWait: the partial days' waits
// or the middle bucket's, which read the wait's column), with the wait's
// kind ("claim", "contact"), or "routing" before the routing measure's read
// of the offer-to-accept medians (mediansOfferToAccept), after its counts.
// nil stops it. It watches the store's statements (OnRead): the store
// itself has no hook. The medians run in parallel (parallel), so each
// kind's histogram read is matched with that kind's next read, not with
// whichever statement comes next. f's statements, run with ctx, are not
// watched.
func (s *Store) SetBetweenMedianReads(f func(ctx context.Context, kind string)) {
	if f == nil {
		s.OnRead(nil)
		return
	}
	var mu sync.Mutex
	pending := map[string]bool{} // kinds whose histogram was read, their next read not yet
	next := func(sql string) (kind string, ok bool) {
		mu.Lock()
		defer mu.Unlock()
		for _, w := range []waitKind{claimWait, contactWait} {
			if pending[w.kind] && strings.HasPrefix(sql, "SELECT l."+w.col+" - l.sql_ms ") {
				delete(pending, w.kind)
				return w.kind, true
			}
		}
		return "", false
	}
	s.OnRead(func(ctx context.Context, sql string, vars []any) {
		switch {
		case strings.HasPrefix(sql, "SELECT bucket, SUM(n) AS n FROM funnel_waits WHERE kind = "):
			if kind, ok := vars[0].(string); ok {
				mu.Lock()
				pending[kind] = true
				mu.Unlock()
			}
		case strings.HasPrefix(sql, "SELECT * FROM (SELECT rep, delay_ms FROM routing_facts"):
			f(ctx, "routing")
		default:
			if kind, ok := next(sql); ok {
				f(ctx, kind)
			}
		}
	})
}

// readHooks are the functions OnRead set, by store.
var readHooks sync.Map // *Store → *readHook

// readHook calls f before the statements of a store.
type readHook struct {
	mu sync.Mutex
	f  func(ctx context.Context, sql string, vars []any)
}

// inReadHook marks the context OnRead hands its function: the statements
// run with it are the function's own and are not passed to it again.
type inReadHook struct{}

// OnRead calls f with the text and arguments of each statement that the
// store runs to read rows through GORM (Raw(…).Scan, Row, Rows: its reads
// written as SQL; not Exec, not Find), before it runs, in the goroutine
// that runs it, with a context for the statements f runs itself: those
// are not passed to f. Statements other goroutines run meanwhile are, so
// f may run in several goroutines at once. nil stops it. It registers a
// GORM callback on the store's database handles, so the store's code
// carries no hook of its own.
func (s *Store) OnRead(f func(ctx context.Context, sql string, vars []any)) {
	v, loaded := readHooks.LoadOrStore(s, &readHook{})
	h := v.(*readHook)
	if !loaded {
		const name = "storage_test:on_read"
		for _, db := range []*gorm.DB{s.db, s.write} {
			if db.Callback().Row().Get(name) != nil {
				continue // s.write shares s.db's callbacks
			}
			err := db.Callback().Row().Before("gorm:row").Register(name, func(tx *gorm.DB) {
				h.mu.Lock()
				f := h.f
				h.mu.Unlock()
				ctx := tx.Statement.Context
				if ctx == nil {
					ctx = context.Background()
				}
				if f == nil || ctx.Value(inReadHook{}) != nil {
					return
				}
				f(context.WithValue(ctx, inReadHook{}, true), tx.Statement.SQL.String(), tx.Statement.Vars)
			})
			if err != nil {
				panic(err)
			}
		}
	}
	h.mu.Lock()
	h.f = f
	h.mu.Unlock()
}

// UnkeyRoutingPools gives routing_days the shape it had before pool_key,
// the pools themselves in its primary key, keeping its rows: a database
// that predates the key, for the migration's tests.
func (s *Store) UnkeyRoutingPools(ctx context.Context) error {
	cols := "day, prev_day, rep, pool, shard, " + strings.Join(routingDayCols, ", ")
	steps := []string{
		"CREATE TABLE routing_days_old (day BIGINT NOT NULL, prev_day BIGINT NOT NULL, rep VARCHAR(500) NOT NULL, pool TEXT NOT NULL," +
			" shard INTEGER NOT NULL, " + strings.Join(routingDayCols, " BIGINT NOT NULL, ") + " BIGINT NOT NULL," +
			" PRIMARY KEY (day, rep, pool, prev_day, shard))",
		"INSERT INTO routing_days_old (" + cols + ") SELECT " + cols + " FROM routing_days",
		"DROP TABLE routing_days",
		"ALTER TABLE routing_days_old RENAME TO routing_days",
	}
	if s.dialect == DialectPostgres {
		steps = append(steps, "ALTER TABLE routing_days RENAME CONSTRAINT routing_days_old_pkey TO routing_days_pkey")
	}
	return s.write.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, q := range steps {
			if err := tx.Exec(q).Error; err != nil {
				return err
			}
		}
		return nil
	})
}

// CountStatements counts the statements run through the store's reader
// (s.db) until stop is called: every query, row read and raw statement
// GORM runs, not those it only builds (DryRun: a subquery's SQL). Not safe
// while other goroutines use the store.
func (s *Store) CountStatements() (count func() int, stop func()) {
	var n atomic.Int64
	name := "storagetest:count"
	inc := func(db *gorm.DB) {
		if !db.DryRun {
			n.Add(1)
		}
	}
	cb := s.db.Callback()
	_ = cb.Query().Before("*").Register(name, inc)
	_ = cb.Row().Before("*").Register(name, inc)
	_ = cb.Raw().Before("*").Register(name, inc)
	return func() int { return int(n.Load()) }, func() {
		_ = cb.Query().Remove(name)
		_ = cb.Row().Remove(name)
		_ = cb.Raw().Remove(name)
	}
}
