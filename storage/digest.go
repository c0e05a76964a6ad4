package storage

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/handoff/handoff"
)

// The weekly digest's queries: what each rep did in a period, and the
// trend over consecutive periods. Both are SQL aggregates over index ranges.

// repKeyEmail is the email part of the key that tells reps apart: a rep
// known by a platform user id is one rep whether or not (or with which
// email) each of their leads learnt their email, which is looked up after
// the claim and may fail; an owner known by email alone is that email.
const repKeyEmail = "CASE WHEN COALESCE(l.owner_user_id, '') = '' THEN COALESCE(l.owner_email, '') ELSE '' END"

// repKey groups leads aliased l by rep (see repKeyEmail); the rep's email
// shown is the one their leads learnt, MAX(owner_email).
const repKey = "COALESCE(l.owner_platform, ''), COALESCE(l.owner_user_id, ''), " + repKeyEmail

// RepActivity returns each owner's activity in period (pending relative to
// now), most breaches first, then by owner. It returns a wrapped error when
// a query fails.
func (s *Store) RepActivity(ctx context.Context, period handoff.Period, now time.Time) ([]handoff.RepActivity, error) {
	from, to := ms(period.Start), ms(period.End)
	owner := repKey
	db := s.db.WithContext(ctx)
	args := map[string]any{"from": from, "to": to, "now": ms(now)}
	// The leads' current cycles and the finished ones (cycles.go).
	rows, err := repRows(db, repActivitySelect, args)
	if err != nil {
		return nil, fmt.Errorf("storage: rep activity %s: %w", period.Label, err)
	}

	// The median per owner: the middle one or two of each owner's ordered
	// waits, picked with window functions (SQLite and PostgreSQL alike),
	// of every SQL cycle contacted in the period: the leads' current ones
	// and the finished ones.
	var meds []struct {
		OwnerPlatform, OwnerUserID, OwnerEmail string
		Median                                 sql.NullFloat64
	}
	var contacted []string
	for _, table := range slaSources {
		contacted = append(contacted, "SELECT l.owner_platform, l.owner_user_id, l.owner_email, l.contacted_ms, l.sql_ms FROM "+table+" l"+
			" WHERE l.contacted_ms >= @from AND l.contacted_ms < @to AND l.contacted_ms > l.sql_ms")
	}
	mq := "SELECT owner_platform, owner_user_id, owner_email, AVG(d) AS median FROM (" +
		"SELECT COALESCE(l.owner_platform, '') AS owner_platform, COALESCE(l.owner_user_id, '') AS owner_user_id," +
		" " + repKeyEmail + " AS owner_email, l.contacted_ms - l.sql_ms AS d," +
		" ROW_NUMBER() OVER (PARTITION BY " + owner + " ORDER BY l.contacted_ms - l.sql_ms) AS rn," +
		" COUNT(*) OVER (PARTITION BY " + owner + ") AS n" +
		" FROM (" + strings.Join(contacted, " UNION ALL ") + ") l) v" +
		" WHERE rn = (n + 1) / 2 OR rn = (n + 2) / 2 GROUP BY owner_platform, owner_user_id, owner_email"
	if err := db.Raw(mq, args).Scan(&meds).Error; err != nil {
		return nil, fmt.Errorf("storage: rep activity %s: median: %w", period.Label, err)
	}
	median := map[string]float64{}
	key := repIdentity
	for _, m := range meds {
		if m.Median.Valid {
			median[key(m.OwnerPlatform, m.OwnerUserID, m.OwnerEmail)] = m.Median.Float64
		}
	}

	out := make([]handoff.RepActivity, len(rows))
	for i, r := range rows {
		a := handoff.RepActivity{
			Owner:   handoff.Owner{Platform: r.OwnerPlatform, UserID: r.OwnerUserID, Email: r.OwnerEmail},
			Claimed: r.Claimed, Contacted: r.Contacted,
			SLAStats: handoff.NewSLAStats(r.Met, r.Breached, r.Pending),
		}
		if m, ok := median[key(r.OwnerPlatform, r.OwnerUserID, r.OwnerEmail)]; ok {
			a.MedianContactMs = &m
		}
		out[i] = a
	}
	sort.Slice(out, func(i, j int) bool {
		return breachesFirst(out[i].SLAStats, out[j].SLAStats, out[i].Owner, out[j].Owner)
	})
	return out, nil
}

// Trend returns one handoff.TrendPoint per period, in order, with pending relative
// to now. The periods must be consecutive (each ending where the next
// starts), such as the last eight ISO weeks. It returns a wrapped error when
// a query fails, and nil for no periods.
func (s *Store) Trend(ctx context.Context, periods []handoff.Period, now time.Time) ([]handoff.TrendPoint, error) {
	if len(periods) == 0 {
		return nil, nil
	}
	out := make([]handoff.TrendPoint, len(periods))
	for i, p := range periods {
		out[i].Period = p
		if i > 0 && !p.Start.Equal(periods[i-1].End) {
			return nil, fmt.Errorf("storage: trend: period %s does not follow %s", p.Label, periods[i-1].Label)
		}
	}
	from, to := ms(periods[0].Start), ms(periods[len(periods)-1].End)
	// bucket numbers a time expression by the period it falls in (NULL
	// for NULL); the bounds are our own integers, written inline.
	bucket := func(expr string) string {
		var b strings.Builder
		b.WriteString("CASE")
		for i, p := range periods {
			fmt.Fprintf(&b, " WHEN (%s) < %d THEN %d", expr, ms(p.End), i)
		}
		b.WriteString(" END")
		return b.String()
	}
	db := s.db.WithContext(ctx)
	stageKind := string(handoff.EventStage)
	for _, st := range []handoff.Stage{handoff.StageSQL, handoff.StageWon} {
		expr := bucket("e.at_ms")
		var rows []struct{ B, N int64 }
		q := "SELECT b, COUNT(DISTINCT lead_id) AS n FROM (SELECT " + expr + " AS b, e.lead_id FROM lead_events e" +
			" WHERE e.kind = ? AND e.stage = ? AND e.at_ms >= ? AND e.at_ms < ?) v GROUP BY b"
		if err := db.Raw(q, stageKind, string(st), from, to).Scan(&rows).Error; err != nil {
			return nil, fmt.Errorf("storage: trend %s: %w", st, err)
		}
		for _, r := range rows {
			if r.B < 0 || int(r.B) >= len(out) {
				continue
			}
			if st == handoff.StageSQL {
				out[r.B].SQLs = r.N
			} else {
				out[r.B].Won = r.N
			}
		}
	}
	// The SLA: settled leads by the period they were settled in, pending
	// ones by the period they became an SQL in (handoff.CountSLA).
	// The leads' current cycles and the finished ones (cycles.go) alike.
	sla := make([][3]int64, len(out))
	named := map[string]any{"from": from, "to": to, "now": ms(now)}
	for _, table := range slaSources {
		var rows []struct{ B, P, Met, Breached, Pending int64 }
		q := "SELECT COALESCE(" + bucket(slaSettledMs) + ", -1) AS b," +
			" CASE WHEN (" + slaSettledMs + ") IS NULL THEN COALESCE(" + bucket("l.sql_ms") + ", -1) ELSE -1 END AS p," +
			" " + slaSums + " FROM " + table + " l WHERE " + slaCandidates + " GROUP BY 1, 2"
		if err := db.Raw(q, named).Scan(&rows).Error; err != nil {
			return nil, fmt.Errorf("storage: trend sla: %s: %w", table, err)
		}
		for _, r := range rows {
			if r.B >= 0 && int(r.B) < len(out) {
				sla[r.B][0] += r.Met
				sla[r.B][1] += r.Breached
			}
			if r.P >= 0 && int(r.P) < len(out) {
				sla[r.P][2] += r.Pending
			}
		}
	}
	for i, c := range sla {
		out[i].SLAStats = handoff.NewSLAStats(c[0], c[1], c[2])
	}
	return out, nil
}
