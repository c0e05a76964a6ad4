package storage

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/handoff/handoff"
	"gorm.io/gorm"
)

// The rollup of what the leads table says about each lead: SLA compliance
// and speed to lead count each lead once, by the day of one of its times,
// so they add up over days. funnel_lead_days holds per UTC day, kind and
// source: "met" (contacted by the deadline, by the day of the contact),
// "unmet" (a deadline not met, by the day of the deadline; breached once
// it has passed) and "speed0" to "speed4" (first contact after becoming an
// SQL, by the day of the contact and handoff.SpeedBuckets, with how many of
// them reached opportunity and won). The store writes it with the lead row.

// noTime stands for a time the lead does not have.
const noTime = math.MinInt64

// leadFacts are the lead's columns funnel_lead_days and funnel_waits
// (rollup_waits.go) depend on.
type leadFacts struct {
	sql, claimed, contacted, due int64 // noTime when NULL
	reached                      int
}

func newLeadFacts(sql, claimed, contacted, due *int64, reached int) leadFacts {
	v := func(p *int64) int64 {
		if p == nil {
			return noTime
		}
		return *p
	}
	return leadFacts{sql: v(sql), claimed: v(claimed), contacted: v(contacted), due: v(due), reached: reached}
}

// speedBounds are the upper bounds of handoff.SpeedBuckets but the last,
// in milliseconds.
var speedBounds = []int64{5 * 60_000, 3_600_000, 4 * 3_600_000, 24 * 3_600_000}

type leadDayKey struct {
	day          int64
	kind, source string
	shard        int64
}

type leadDayDelta struct{ n, opps, won int64 }

// contributions adds the lead's rows, times sign, to deltas.
func (f leadFacts) contributions(shard int64, source string, sign int64, deltas map[leadDayKey]leadDayDelta) {
	add := func(at int64, kind string, opps, won bool) {
		k := leadDayKey{day: dayOf(at), kind: kind, source: source, shard: shard}
		d := deltas[k]
		d.n += sign
		if opps {
			d.opps += sign
		}
		if won {
			d.won += sign
		}
		deltas[k] = d
	}
	met := f.contacted != noTime && f.due != noTime && f.contacted <= f.due
	if met {
		add(f.contacted, "met", false, false)
	}
	if f.due != noTime && !met {
		add(f.due, "unmet", false, false)
	}
	if f.contacted != noTime && f.sql != noTime && f.contacted > f.sql {
		b := len(speedBounds)
		for i, bound := range speedBounds {
			if f.contacted-f.sql < bound {
				b = i
				break
			}
		}
		add(f.contacted, fmt.Sprintf("speed%d", b), f.reached >= handoff.StageOpportunity.Rank(), f.reached >= handoff.StageWon.Rank())
	}
}

// rollupLeadChange brings the rollup up to date with a change of a known
// lead from row to lead (its events are counted by insertEvents): its
// history moves to a new source, campaign or deal value, its SLA and speed
// rows follow its times.
func rollupLeadChange(tx *gorm.DB, row leadRow, lead *handoff.Lead) error {
	before, after := rowKeys(row), leadKeys(lead)
	if before == after {
		return nil
	}
	return updateRollup(tx, []leadRollup{{id: lead.ID, old: &before, new: after}})
}

// leadDaysWrites are the changes of the leads' facts and sources to
// funnel_lead_days and funnel_waits (in shard): one upsert statement each.
func leadDaysWrites(shard int64, merged map[int64]*leadRollup, order []int64) []tableWrite {
	deltas := map[leadDayKey]leadDayDelta{}
	waits := map[waitKey]int64{}
	for _, id := range order {
		c := merged[id]
		if c.old != nil {
			if c.old.facts == c.new.facts && c.old.source == c.new.source {
				continue
			}
			c.old.facts.contributions(shard, c.old.source, -1, deltas)
			c.old.facts.waits(shard, -1, waits)
		}
		c.new.facts.contributions(shard, c.new.source, +1, deltas)
		c.new.facts.waits(shard, +1, waits)
	}
	keys := make([]leadDayKey, 0, len(deltas))
	for k, d := range deltas {
		if d != (leadDayDelta{}) {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b leadDayKey) int {
		return cmp.Or(cmp.Compare(a.day, b.day), cmp.Compare(a.shard, b.shard), strings.Compare(a.kind, b.kind), strings.Compare(a.source, b.source))
	})
	w := tableWrite{what: "rollup: lead days", table: "funnel_lead_days", cols: []string{"day", "kind", "source", "shard"}, sums: []string{"n", "opps", "won"}}
	for _, k := range keys {
		d := deltas[k]
		w.rows = append(w.rows, []any{k.day, k.kind, k.source, k.shard, d.n, d.opps, d.won})
	}
	return []tableWrite{w, waitsWrite(waits)}
}

// migrateLeadDays creates funnel_lead_days when it is missing and fills it
// from the leads.
func migrateLeadDays(tx *gorm.DB, dialect string) error {
	if tx.Migrator().HasTable("funnel_lead_days") {
		return nil
	}
	err := tx.Exec("CREATE TABLE funnel_lead_days (day BIGINT NOT NULL, kind VARCHAR(20) NOT NULL, source VARCHAR(500) NOT NULL," +
		" shard INTEGER NOT NULL, n BIGINT NOT NULL, opps BIGINT NOT NULL, won BIGINT NOT NULL, PRIMARY KEY (day, kind, source, shard))").Error
	if err != nil {
		return fmt.Errorf("storage: migrate rollup: %w", err)
	}
	day := func(col string) string {
		return fmt.Sprintf("CASE WHEN %[1]s >= 0 THEN %[1]s / %[2]d ELSE (%[1]s - %[2]d + 1) / %[2]d END", col, dayMs)
	}
	shard := "0"
	if dialect == DialectPostgres {
		shard = fmt.Sprintf("(l.id %% %d)", rollupShards)
	}
	var b strings.Builder
	b.WriteString("'speed' || CASE")
	for i, bound := range speedBounds {
		fmt.Fprintf(&b, " WHEN l.contacted_ms - l.sql_ms < %d THEN '%d'", bound, i)
	}
	fmt.Fprintf(&b, " ELSE '%d' END", len(speedBounds))
	met := "l.contacted_ms <= l.contact_due_ms"
	insert := "INSERT INTO funnel_lead_days (day, kind, source, shard, n, opps, won) SELECT "
	for _, q := range []string{
		insert + day("l.contacted_ms") + ", 'met', COALESCE(l.source, ''), " + shard + ", COUNT(*), 0, 0 FROM leads l WHERE " + met + " GROUP BY 1, 2, 3, 4",
		insert + day("l.contact_due_ms") + ", 'unmet', COALESCE(l.source, ''), " + shard + ", COUNT(*), 0, 0 FROM leads l" +
			" WHERE l.contact_due_ms IS NOT NULL AND (l.contacted_ms IS NULL OR l.contacted_ms > l.contact_due_ms) GROUP BY 1, 2, 3, 4",
		insert + day("l.contacted_ms") + ", " + b.String() + ", COALESCE(l.source, ''), " + shard + ", COUNT(*)," +
			fmt.Sprintf(" SUM(CASE WHEN l.reached >= %d THEN 1 ELSE 0 END), SUM(CASE WHEN l.reached >= %d THEN 1 ELSE 0 END)",
				handoff.StageOpportunity.Rank(), handoff.StageWon.Rank()) +
			" FROM leads l WHERE l.contacted_ms > l.sql_ms GROUP BY 1, 2, 3, 4",
	} {
		if err := tx.Exec(q).Error; err != nil {
			return fmt.Errorf("storage: backfill rollup: %w", err)
		}
	}
	if err := analyze(tx, "funnel_lead_days"); err != nil {
		return fmt.Errorf("storage: backfill rollup: %w", err)
	}
	return nil
}

// rollupSLA counts f's SLA outcome (see compliance.go) and speed to lead
// from funnel_lead_days for the whole days of the period and from the
// leads for the partial days, the part of the last day after f.Now
// included (a deadline counts as breached once it has passed). ok is false
// where rollupStages' is.
func (s *Store) rollupSLA(ctx context.Context, f handoff.FunnelFilter) (c handoff.FunnelCounts, ok bool, err error) {
	from, to := ms(f.Period.Start), ms(f.Period.End)
	firstDay, endDay := dayOf(from+dayMs-1), dayOf(to)
	if f.Owner != "" || firstDay >= endDay {
		return c, false, nil
	}
	db := s.db.WithContext(ctx)
	named := map[string]any{"from": from, "to": to, "now": ms(f.Now)}
	cond := leadCondNamed(f.Source, "", named)
	srcCond, srcArgs := "", []any(nil)
	if f.Source != "" {
		srcCond, srcArgs = " AND source = ?", []any{f.Source}
	}
	// The whole days' rows, one read for every kind: the deadlines not
	// met (unmet) only up to dueEnd (see below).
	due := min(to, ms(f.Now)+1)
	dueEnd := max(firstDay, dayOf(due))
	var rows []struct {
		Kind                 string
		N, Opps, Won, UnmetN int64
	}
	q := "SELECT kind, SUM(n) AS n, SUM(opps) AS opps, SUM(won) AS won, SUM(CASE WHEN day < ? THEN n ELSE 0 END) AS unmet_n" +
		" FROM funnel_lead_days WHERE day >= ? AND day < ?" + srcCond + " GROUP BY kind"
	if err := db.Raw(q, append([]any{dueEnd, firstDay, endDay}, srcArgs...)...).Scan(&rows).Error; err != nil {
		return c, false, fmt.Errorf("rollup lead days: %w", err)
	}
	days := map[string]leadDayDelta{}
	var unmetN int64
	for _, r := range rows {
		days[r.Kind] = leadDayDelta{n: r.N, opps: r.Opps, won: r.Won}
		if r.Kind == "unmet" {
			unmetN = r.UnmetN
		}
	}

	// count counts the leads matching where with its time in [lo, hi).
	count := func(where, col string, lo, hi int64) (n int64, err error) {
		if lo >= hi {
			return 0, nil
		}
		args := map[string]any{"lo": lo, "hi": hi}
		for k, v := range named {
			args[k] = v
		}
		q := "SELECT COUNT(*) FROM leads l WHERE " + where + " AND " + col + " >= @lo AND " + col + " < @hi" + cond
		err = db.Raw(q, args).Row().Scan(&n)
		return n, err
	}
	headEnd, tailStart := firstDay*dayMs, endDay*dayMs

	c.SLAMet = days["met"].n
	for _, part := range [][2]int64{{from, headEnd}, {tailStart, to}} {
		n, err := count("l.contacted_ms <= l.contact_due_ms", "l.contacted_ms", part[0], part[1])
		if err != nil {
			return c, false, fmt.Errorf("sla met: %w", err)
		}
		c.SLAMet += n
	}

	// Breached: deadlines not met in [from, due = min(to, now + 1 ms)).
	c.SLABreached = unmetN
	for _, part := range [][2]int64{{from, min(headEnd, due)}, {max(dueEnd*dayMs, from), due}} {
		n, err := count(slaNotMet, "l.contact_due_ms", part[0], part[1])
		if err != nil {
			return c, false, fmt.Errorf("sla breached: %w", err)
		}
		c.SLABreached += n
	}
	if err := db.Raw("SELECT COUNT(*) FROM leads l WHERE "+slaPendingIn+cond, named).Row().Scan(&c.SLAPending); err != nil {
		return c, false, fmt.Errorf("sla pending: %w", err)
	}
	c.SLADue = c.SLAMet + c.SLABreached + c.SLAPending

	c.SpeedToLead = map[string]handoff.SpeedToLead{}
	for i, bucket := range handoff.SpeedBuckets {
		if d := days[fmt.Sprintf("speed%d", i)]; d.n != 0 {
			c.SpeedToLead[bucket] = handoff.SpeedToLead{Contacted: d.n, Opportunities: d.opps, Won: d.won}
		}
	}
	srcLeadCond, srcLeadArgs := leadCond(f.Source, "")
	for _, part := range [][2]int64{{from, headEnd}, {tailStart, to}} {
		if part[0] >= part[1] {
			continue
		}
		edge, err := s.speedToLead(ctx, handoff.FunnelFilter{Period: handoff.Period{Start: fromMs(part[0]), End: fromMs(part[1])}}, srcLeadCond, srcLeadArgs)
		if err != nil {
			return c, false, err
		}
		addSpeed(c.SpeedToLead, edge)
	}
	return c, true, nil
}
