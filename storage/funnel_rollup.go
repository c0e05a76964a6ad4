package storage

import (
	"context"
	"fmt"

	"github.com/handoff/handoff"
)

// stageGroup is the number of leads of one source and campaign entering a
// stage in a period, and for won the sum of their deal values.
type stageGroup struct {
	Stage, Source, Campaign string
	N, Amount               int64
}

// rollupStages counts the leads entering each stage in f's period per
// source and campaign from the daily rollup (see rollup.go), exactly as
// the event log does. It answers ok = false, to count from the events
// instead, for a period shorter than a whole UTC day and for an owner
// filter (the rollup is not kept by owner).
func (s *Store) rollupStages(ctx context.Context, f handoff.FunnelFilter) (groups []stageGroup, ok bool, err error) {
	if f.Owner != "" {
		return nil, false, nil
	}
	from, to := ms(f.Period.Start), ms(f.Period.End)
	firstDay, endDay := dayOf(from+dayMs-1), dayOf(to) // the whole days [firstDay, endDay)
	if firstDay >= endDay {
		return nil, false, nil
	}
	headEnd, tailStart := firstDay*dayMs, endDay*dayMs
	db := s.db.WithContext(ctx)
	won := string(handoff.StageWon)
	srcCond, srcArgs := "", []any(nil)
	if f.Source != "" {
		srcCond, srcArgs = " AND l.source = ?", []any{f.Source}
	}
	byKey := map[[3]string]int{}
	collect := func(rows []stageGroup) {
		for _, r := range rows {
			k := [3]string{r.Stage, r.Source, r.Campaign}
			i, seen := byKey[k]
			if !seen {
				byKey[k] = len(groups)
				groups = append(groups, stageGroup{Stage: r.Stage, Source: r.Source, Campaign: r.Campaign})
				i = len(groups) - 1
			}
			groups[i].N += r.N
			groups[i].Amount += r.Amount
		}
	}

	// The first entries of the whole days.
	var rows []stageGroup
	q := "SELECT l.stage, l.source, l.campaign, SUM(l.n) AS n, SUM(l.amount_minor) AS amount FROM funnel_days l" +
		" WHERE l.day >= ? AND l.day < ?" + srcCond + " GROUP BY 1, 2, 3"
	if err := db.Raw(q, append([]any{firstDay, endDay}, srcArgs...)...).Scan(&rows).Error; err != nil {
		return nil, false, fmt.Errorf("rollup days: %w", err)
	}
	collect(rows)

	// Every entry in the partial days at either end (the re-entries among
	// them are taken off below).
	stages := make([]string, len(handoff.AllStages))
	for i, st := range handoff.AllStages {
		stages[i] = string(st)
	}
	for _, part := range [][2]int64{{from, headEnd}, {tailStart, to}} {
		if part[0] >= part[1] {
			continue
		}
		rows = nil
		q := "SELECT e.stage, COALESCE(l.source, '') AS source, COALESCE(l.campaign, '') AS campaign, COUNT(*) AS n," +
			" COALESCE(SUM(CASE WHEN e.stage = ? THEN l.amount_minor ELSE 0 END), 0) AS amount" +
			" FROM lead_events e JOIN leads l ON l.id = e.lead_id" +
			" WHERE e.kind = ? AND e.stage IN ? AND e.at_ms >= ? AND e.at_ms < ?" + srcCond + " GROUP BY 1, 2, 3"
		args := append([]any{won, string(handoff.EventStage), stages, part[0], part[1]}, srcArgs...)
		if err := db.Raw(q, args...).Scan(&rows).Error; err != nil {
			return nil, false, fmt.Errorf("rollup partial days: %w", err)
		}
		collect(rows)
	}

	// Re-entries in the period: counted when the lead's previous entry
	// was before the period, and taken off where the partial days counted
	// them.
	rows = nil
	weight := "(CASE WHEN r.prev_ms < @from THEN 1 ELSE 0 END - CASE WHEN r.at_ms < @head_end OR r.at_ms >= @tail_start THEN 1 ELSE 0 END)"
	q = "SELECT r.stage, COALESCE(l.source, '') AS source, COALESCE(l.campaign, '') AS campaign, SUM(" + weight + ") AS n," +
		" SUM(CASE WHEN r.stage = @won THEN " + weight + " * l.amount_minor ELSE 0 END) AS amount" +
		" FROM funnel_reentries r JOIN leads l ON l.id = r.lead_id WHERE r.at_ms >= @from AND r.at_ms < @to"
	named := map[string]any{"from": from, "to": to, "head_end": headEnd, "tail_start": tailStart, "won": won}
	if f.Source != "" {
		q += " AND l.source = @source"
		named["source"] = f.Source
	}
	if err := db.Raw(q+" GROUP BY 1, 2, 3", named).Scan(&rows).Error; err != nil {
		return nil, false, fmt.Errorf("rollup reentries: %w", err)
	}
	collect(rows)
	return groups, true, nil
}

// medianFirstOrder is the median time from first touch to won over the
// leads won in the period, from funnel_won: each lead's first entry into
// won in the period is the one whose predecessor is before the period.
// Without a filter SQLite walks funnel_won's index ordered by that time
// once the period holds a tenth of medianSortLimit: the walk reads about
// half of funnel_won (one row per won entry, a few per cent of the leads),
// sorting reads only the period's rows but sorts them.
func (s *Store) medianFirstOrder(ctx context.Context, a funnelArgs) (*float64, error) {
	m := medianQuery{
		expr: "w.at_ms - w.first_touch_ms", from: "funnel_won w",
		where: "w.at_ms >= ? AND w.at_ms < ? AND (w.prev_ms IS NULL OR w.prev_ms < ?) AND w.first_touch_ms IS NOT NULL" + a.andCond,
		args:  a.with(a.from, a.to, a.from),
	}
	if a.cond != "" {
		m.from += " JOIN leads l ON l.id = w.lead_id"
	} else {
		m.walkIndex, m.walkAbove = "idx_funnel_won_wait", medianSortLimit/10
	}
	med, err := s.median(ctx, m)
	if err != nil {
		return nil, fmt.Errorf("median time to first order: %w", err)
	}
	return med, nil
}
