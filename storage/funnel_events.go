package storage

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/handoff/handoff"
)

// The stage counts straight from the event log: for periods the rollup
// cannot answer (funnel_rollup.go), and the reference it is tested against.

// eventStageCounts returns the queries that fill c's stage counts, won and
// revenue for f (a: its query arguments) from the events.
func (s *Store) eventStageCounts(ctx context.Context, f handoff.FunnelFilter, a funnelArgs, c *handoff.FunnelCounts) ([]func() error, error) {
	from, to, cond, andCond, withCond := a.from, a.to, a.cond, a.andCond, a.with
	db := s.db.WithContext(ctx)
	stageKind := string(handoff.EventStage)

	countHint, err := s.stageCountHint(ctx, f, cond != "")
	if err != nil {
		return nil, err
	}
	eventsFrom := "FROM lead_events e" + countHint
	if cond != "" {
		eventsFrom = "FROM lead_events e JOIN leads l ON l.id = e.lead_id"
	}
	dsts := map[handoff.Stage]*int64{
		handoff.StageLead: &c.Leads, handoff.StageMQL: &c.MQLs, handoff.StageSQL: &c.SQLs,
		handoff.StageClaimed: &c.Claimed, handoff.StageContacted: &c.Contacted,
		handoff.StageOpportunity: &c.Opportunities, handoff.StageLost: &c.Lost,
		handoff.StageRecycled: &c.Recycled,
	}
	var tasks []func() error
	for _, st := range countedStages {
		dst := dsts[st]
		tasks = append(tasks, func() error {
			q := "SELECT COUNT(*) FROM (SELECT DISTINCT e.lead_id " + eventsFrom +
				" WHERE e.kind = ? AND e.stage = ? AND e.at_ms >= ? AND e.at_ms < ?" + andCond + ") d"
			if err := db.Raw(q, withCond(stageKind, string(st), from, to)...).Row().Scan(dst); err != nil {
				return fmt.Errorf("count %s: %w", st, err)
			}
			return nil
		})
	}
	wonSub := "SELECT e.lead_id FROM lead_events e WHERE e.kind = ? AND e.stage = ? AND e.at_ms >= ? AND e.at_ms < ?"
	wonArgs := []any{stageKind, string(handoff.StageWon), from, to}
	tasks = append(tasks, func() error {
		q := "SELECT COUNT(*), COALESCE(SUM(l.amount_minor), 0) FROM leads l WHERE l.id IN (" + wonSub + ")" + andCond
		if err := db.Raw(q, withCond(wonArgs...)...).Row().Scan(&c.Won, &c.RevenueMinor); err != nil {
			return fmt.Errorf("revenue: %w", err)
		}
		return nil
	})
	return tasks, nil
}

// fillStages sets c's stage counts, won and revenue from the rollup's groups.
func fillStages(c *handoff.FunnelCounts, groups []stageGroup) {
	dsts := map[string]*int64{
		string(handoff.StageLead): &c.Leads, string(handoff.StageMQL): &c.MQLs, string(handoff.StageSQL): &c.SQLs,
		string(handoff.StageClaimed): &c.Claimed, string(handoff.StageContacted): &c.Contacted,
		string(handoff.StageOpportunity): &c.Opportunities, string(handoff.StageLost): &c.Lost,
		string(handoff.StageRecycled): &c.Recycled, string(handoff.StageWon): &c.Won,
	}
	for _, g := range groups {
		if dst := dsts[g.Stage]; dst != nil {
			*dst += g.N
		}
		if g.Stage == string(handoff.StageWon) {
			c.RevenueMinor += g.Amount
		}
	}
}

// longPeriodShare is the share of the event history above which SQLite
// counts distinct leads by walking the by-lead index (no sorting, but every
// event of the stage is read) rather than the period's range of the by-time
// index (only the period is read, but each lead goes through a temporary
// B-tree, some 15 times slower per event).
var longPeriodShare = 0.05

// stageCountHint returns the SQLite index hint for the stage counts of f:
// the by-lead index when the period covers a large share of the event
// history, the by-time index otherwise. PostgreSQL's planner needs no hint,
// and neither do filtered counts, which join leads anyway.
func (s *Store) stageCountHint(ctx context.Context, f handoff.FunnelFilter, filtered bool) (string, error) {
	if s.dialect != DialectSQLite || filtered {
		return "", nil
	}
	var first sql.NullInt64
	err := s.db.WithContext(ctx).Raw("SELECT MIN(at_ms) FROM lead_events WHERE kind = ? AND stage = ?",
		string(handoff.EventStage), string(handoff.StageLead)).Row().Scan(&first)
	if err != nil {
		return "", fmt.Errorf("history start: %w", err)
	}
	now := ms(f.Now)
	if !first.Valid || now <= first.Int64 {
		return " INDEXED BY idx_events_kpi_range", nil
	}
	lo, hi := max(ms(f.Period.Start), first.Int64), min(ms(f.Period.End), now)
	if float64(hi-lo) >= longPeriodShare*float64(now-first.Int64) {
		return " INDEXED BY idx_events_kpi_lead", nil
	}
	return " INDEXED BY idx_events_kpi_range", nil
}
