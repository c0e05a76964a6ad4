package storage

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/handoff/handoff"
)

// Marketing's side of the funnel: per source and campaign, speed to lead
// and whose delay. SQL aggregates like the rest of the funnel.

// topReasonsPerCampaign is how many reasons each campaign lists.
const topReasonsPerCampaign = 3

// campaignCounts fills c.ByCampaign for the period: per source and
// campaign, the distinct leads entering sql, claimed, recycled (and of
// those, returned as not a fit) and won in the period, the revenue of the
// won, and the most given reasons of the lost and recycled, most SQLs
// first. cond narrows the leads (alias l) as in FunnelCounts. With rolled,
// the counts are the rollup's groups; otherwise they come from the events.
func (s *Store) campaignCounts(ctx context.Context, f handoff.FunnelFilter, cond string, condArgs []any, groups []stageGroup, rolled bool) ([]handoff.CampaignCounts, error) {
	db := s.db.WithContext(ctx)
	from, to := ms(f.Period.Start), ms(f.Period.End)
	stageKind := string(handoff.EventStage)
	and := ""
	if cond != "" {
		and = " AND " + cond
	}
	key := func(src, camp string) string { return src + "\x00" + camp }
	var out []handoff.CampaignCounts
	at := map[string]int{}
	if rolled {
		out = campaignsOf(groups)
		for i, c := range out {
			at[key(c.Source, c.Campaign)] = i
		}
	} else {
		var err error
		if out, err = s.eventCampaignCounts(ctx, f, and, condArgs); err != nil {
			return nil, err
		}
		for i, c := range out {
			at[key(c.Source, c.Campaign)] = i
		}
		var revenue []struct {
			Source, Campaign string
			Minor            int64
		}
		q := "SELECT COALESCE(l.source, '') AS source, COALESCE(l.campaign, '') AS campaign, COALESCE(SUM(l.amount_minor), 0) AS minor" +
			" FROM leads l WHERE l.id IN (SELECT e.lead_id FROM lead_events e WHERE e.kind = ? AND e.stage = ? AND e.at_ms >= ? AND e.at_ms < ?)" + and +
			" GROUP BY 1, 2"
		if err := db.Raw(q, append([]any{stageKind, string(handoff.StageWon), from, to}, condArgs...)...).Scan(&revenue).Error; err != nil {
			return nil, fmt.Errorf("by campaign revenue: %w", err)
		}
		for _, r := range revenue {
			if i, ok := at[key(r.Source, r.Campaign)]; ok {
				out[i].RevenueMinor = r.Minor
			}
		}
	}

	reasonHint := ""
	if s.dialect == DialectSQLite {
		reasonHint = " INDEXED BY idx_events_kpi_reason" // SQLite's planner prefers the wide range index
	}
	// Returns and losses carry a reason (a not-a-fit always does), so
	// both come from the small index of events with a reason.
	var reasons []struct {
		Source, Campaign, ReasonCode string
		N                            int64
	}
	q := "SELECT COALESCE(l.source, '') AS source, COALESCE(l.campaign, '') AS campaign, e.reason_code, COUNT(DISTINCT e.lead_id) AS n" +
		" FROM lead_events e" + reasonHint + " JOIN leads l ON l.id = e.lead_id" +
		" WHERE e.reason_code <> '' AND e.kind = ? AND e.stage IN ('lost', 'recycled') AND e.at_ms >= ? AND e.at_ms < ?" + and +
		" GROUP BY 1, 2, 3"
	if err := db.Raw(q, append([]any{stageKind, from, to}, condArgs...)...).Scan(&reasons).Error; err != nil {
		return nil, fmt.Errorf("by campaign reasons: %w", err)
	}
	// A lead returned as not a fit twice in the period (for two reasons,
	// sent back as an SQL in between) is one lead: counted apart from the
	// reasons, whose sum would count it twice.
	var notAFit []struct {
		Source, Campaign string
		N                int64
	}
	q = "SELECT COALESCE(l.source, '') AS source, COALESCE(l.campaign, '') AS campaign, COUNT(DISTINCT e.lead_id) AS n" +
		" FROM lead_events e" + reasonHint + " JOIN leads l ON l.id = e.lead_id" +
		" WHERE e.reason_code <> '' AND e.kind = ? AND e.stage = 'recycled' AND e.not_a_fit AND e.at_ms >= ? AND e.at_ms < ?" + and +
		" GROUP BY 1, 2"
	if err := db.Raw(q, append([]any{stageKind, from, to}, condArgs...)...).Scan(&notAFit).Error; err != nil {
		return nil, fmt.Errorf("by campaign not a fit: %w", err)
	}
	campaign := func(src, camp string) int {
		i, ok := at[key(src, camp)]
		if !ok { // only lost in the period: a campaign of its own
			out = append(out, handoff.CampaignCounts{Source: src, Campaign: camp})
			i = len(out) - 1
			at[key(src, camp)] = i
		}
		return i
	}
	for _, r := range reasons {
		i := campaign(r.Source, r.Campaign)
		out[i].TopReasons = append(out[i].TopReasons, handoff.ReasonCount{Reason: r.ReasonCode, Count: r.N})
	}
	for _, r := range notAFit {
		out[campaign(r.Source, r.Campaign)].NotAFit = r.N
	}
	for i := range out {
		rs := out[i].TopReasons
		sort.Slice(rs, func(a, b int) bool {
			if rs[a].Count != rs[b].Count {
				return rs[a].Count > rs[b].Count
			}
			return rs[a].Reason < rs[b].Reason
		})
		out[i].TopReasons = rs[:min(len(rs), topReasonsPerCampaign)]
	}
	sort.Slice(out, func(a, b int) bool {
		if out[a].SQLs != out[b].SQLs {
			return out[a].SQLs > out[b].SQLs
		}
		return key(out[a].Source, out[a].Campaign) < key(out[b].Source, out[b].Campaign)
	})
	return out, nil
}

// eventCampaignCounts counts per source and campaign, from the events,
// the distinct leads entering sql, claimed, recycled and won in f's period
// (and narrows the leads with " AND cond").
func (s *Store) eventCampaignCounts(ctx context.Context, f handoff.FunnelFilter, and string, condArgs []any) ([]handoff.CampaignCounts, error) {
	var rows []struct {
		Source, Campaign             string
		Sqls, Claimed, Recycled, Won int64 // Sqls: GORM names SQLs "sq_ls"
	}
	q := "SELECT COALESCE(l.source, '') AS source, COALESCE(l.campaign, '') AS campaign," +
		" COUNT(DISTINCT CASE WHEN e.stage = 'sql' THEN e.lead_id END) AS sqls," +
		" COUNT(DISTINCT CASE WHEN e.stage = 'claimed' THEN e.lead_id END) AS claimed," +
		" COUNT(DISTINCT CASE WHEN e.stage = 'recycled' THEN e.lead_id END) AS recycled," +
		" COUNT(DISTINCT CASE WHEN e.stage = 'won' THEN e.lead_id END) AS won" +
		" FROM lead_events e JOIN leads l ON l.id = e.lead_id" +
		" WHERE e.kind = ? AND e.stage IN ('sql', 'claimed', 'recycled', 'won') AND e.at_ms >= ? AND e.at_ms < ?" + and +
		" GROUP BY 1, 2"
	args := append([]any{string(handoff.EventStage), ms(f.Period.Start), ms(f.Period.End)}, condArgs...)
	if err := s.db.WithContext(ctx).Raw(q, args...).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("by campaign: %w", err)
	}
	out := make([]handoff.CampaignCounts, len(rows))
	for i, r := range rows {
		out[i] = handoff.CampaignCounts{Source: r.Source, Campaign: r.Campaign, SQLs: r.Sqls, Claimed: r.Claimed,
			Recycled: r.Recycled, Won: r.Won}
	}
	return out, nil
}

// campaignsOf are the per-campaign counts and revenue of the rollup's
// groups: the campaigns with a lead entering sql, claimed, recycled or won.
func campaignsOf(groups []stageGroup) []handoff.CampaignCounts {
	type key struct{ source, campaign string }
	byKey := map[key]*handoff.CampaignCounts{}
	var order []key
	for _, g := range groups {
		var dst *int64
		k := key{g.Source, g.Campaign}
		c := byKey[k]
		if c == nil {
			c = &handoff.CampaignCounts{Source: g.Source, Campaign: g.Campaign}
		}
		switch handoff.Stage(g.Stage) {
		case handoff.StageSQL:
			dst = &c.SQLs
		case handoff.StageClaimed:
			dst = &c.Claimed
		case handoff.StageRecycled:
			dst = &c.Recycled
		case handoff.StageWon:
			dst = &c.Won
			c.RevenueMinor += g.Amount
		default:
			continue
		}
		*dst += g.N
		if byKey[k] == nil {
			byKey[k] = c
			order = append(order, k)
		}
	}
	out := make([]handoff.CampaignCounts, 0, len(order))
	for _, k := range order {
		if c := byKey[k]; c.SQLs+c.Claimed+c.Recycled+c.Won > 0 {
			out = append(out, *c)
		}
	}
	return out
}

// speedToLead counts the leads first contacted in the period (not at the
// very moment they became SQLs: those were implied by an import) by how
// long that took, with how many of them reached opportunity and won: their
// current cycles (the finished ones are cyclesSpeedToLead's).
func (s *Store) speedToLead(ctx context.Context, f handoff.FunnelFilter, cond string, condArgs []any) (map[string]handoff.SpeedToLead, error) {
	return s.speedToLeadIn(ctx, "leads", f.Period, cond, condArgs)
}

// speedToLeadIn is speed to lead over table (leads, or sla_cycles with the
// stage its lead had reached when the cycle ended) aliased l, narrowed by
// cond.
func (s *Store) speedToLeadIn(ctx context.Context, table string, period handoff.Period, cond string, condArgs []any) (map[string]handoff.SpeedToLead, error) {
	and := ""
	if cond != "" {
		and = " AND " + cond
	}
	var b strings.Builder
	b.WriteString("CASE")
	for i, bound := range []int64{5 * 60_000, 3_600_000, 4 * 3_600_000, 24 * 3_600_000} {
		fmt.Fprintf(&b, " WHEN l.contacted_ms - l.sql_ms < %d THEN %d", bound, i)
	}
	b.WriteString(" ELSE 4 END")
	var rows []struct{ B, Contacted, Opps, Won int64 }
	q := "SELECT " + b.String() + " AS b, COUNT(*) AS contacted," +
		" SUM(CASE WHEN l.reached >= ? THEN 1 ELSE 0 END) AS opps, SUM(CASE WHEN l.reached >= ? THEN 1 ELSE 0 END) AS won" +
		" FROM " + table + " l WHERE l.contacted_ms >= ? AND l.contacted_ms < ? AND l.contacted_ms > l.sql_ms" + and + " GROUP BY 1"
	args := append([]any{handoff.StageOpportunity.Rank(), handoff.StageWon.Rank(), ms(period.Start), ms(period.End)}, condArgs...)
	if err := s.db.WithContext(ctx).Raw(q, args...).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("speed to lead: %w", err)
	}
	out := make(map[string]handoff.SpeedToLead, len(rows))
	for _, r := range rows {
		if r.B >= 0 && int(r.B) < len(handoff.SpeedBuckets) {
			out[handoff.SpeedBuckets[r.B]] = handoff.SpeedToLead{Contacted: r.Contacted, Opportunities: r.Opps, Won: r.Won}
		}
	}
	return out, nil
}

// addSpeed adds the counts of more to speed, bucket by bucket.
func addSpeed(speed, more map[string]handoff.SpeedToLead) {
	for b, v := range more {
		t := speed[b]
		t.Contacted, t.Opportunities, t.Won = t.Contacted+v.Contacted, t.Opportunities+v.Opportunities, t.Won+v.Won
		speed[b] = t
	}
}

// claimDelays returns the medians of the system's and the rep's part of
// the wait for a claim (handoff.SplitClaimDelay in SQL), over every SQL
// cycle claimed in the period whose card was shown, as the median time to
// claim counts them: the leads' current cycles and the finished ones
// (cycles.go).
func (s *Store) claimDelays(ctx context.Context, f handoff.FunnelFilter, cond string, condArgs []any) (system, rep *float64, err error) {
	and := ""
	if cond != "" {
		and = " AND " + cond
	}
	// shown, clamped between becoming an SQL and the claim.
	shown := "(CASE WHEN l.shown_ms < l.sql_ms THEN l.sql_ms WHEN l.shown_ms > l.claimed_ms THEN l.claimed_ms ELSE l.shown_ms END)"
	claimed := "l.claimed_ms >= ? AND l.claimed_ms < ? AND l.claimed_ms > l.sql_ms AND l.shown_ms IS NOT NULL"
	period := []any{ms(f.Period.Start), ms(f.Period.End)}
	args := append(append([]any{}, period...), condArgs...)
	delay := func(expr string) (*float64, error) {
		return s.median(ctx, medianQuery{expr: expr, from: "leads l", where: claimed + and, args: args}.
			withCycles(claimed, period, f.Source, f.Owner))
	}
	if system, err = delay(shown + " - l.sql_ms"); err != nil {
		return nil, nil, fmt.Errorf("system delay: %w", err)
	}
	if rep, err = delay("l.claimed_ms - " + shown); err != nil {
		return nil, nil, fmt.Errorf("rep delay: %w", err)
	}
	return system, rep, nil
}
