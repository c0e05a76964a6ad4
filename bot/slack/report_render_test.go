package slack_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/report"
	slackbot "github.com/handoff/handoff/bot/slack"
)

func TestRenderReportGolden(t *testing.T) {
	p := policy(t)
	for name, msg := range reportMessages(t, p, handoff.Owner{Platform: "slack", UserID: "U0REP42"}) {
		t.Run(name, func(t *testing.T) {
			blocks := slackbot.RenderBlocks(msg)
			golden(t, name, map[string]any{"blocks": blocks})
			for _, b := range blocks {
				if v, ok := b.(*slackapi.DataVisualizationBlock); ok {
					if err := v.Validate(); err != nil {
						t.Errorf("chart %s: %v", v.BlockID, err)
					}
				}
			}
			// The same message without native blocks, for workspaces that refuse them.
			golden(t, name+"_classic", map[string]any{"blocks": slackbot.RenderClassicBlocks(msg)})
		})
	}
}

func TestRenderTableLimits(t *testing.T) {
	tb := bot.Table{Title: "Big", Columns: []string{"Rep", "N"}, Numeric: []bool{false, true}}
	for i := range 130 {
		tb.Rows = append(tb.Rows, []string{bot.Mention(fmt.Sprintf("U%d", i)) + " & co", fmt.Sprint(i * 1000)})
	}
	chart := bot.Chart{Kind: bot.ChartLine, Title: strings.Repeat("t", 80), Series: []bot.Series{{Name: "A series name that is too long"}}}
	for i := range 30 {
		chart.Categories = append(chart.Categories, fmt.Sprintf("category number %d", i))
		chart.Series[0].Values = append(chart.Series[0].Values, float64(i))
	}
	blocks := slackbot.RenderBlocks(bot.Message{Tables: []bot.Table{tb}, Charts: []bot.Chart{chart}})
	table, ok := blocks[0].(*slackapi.DataTableBlock)
	if !ok {
		t.Fatalf("block 0 = %T, want a data table", blocks[0])
	}
	if len(table.Rows) != 101 || table.PageSize != 20 {
		t.Errorf("rows = %d, page size = %d; want header + 100 rows, pages of 20", len(table.Rows), table.PageSize)
	}
	raw, _ := json.Marshal(table.Rows[1])
	if !strings.Contains(string(raw), `"type":"rich_text"`) || !strings.Contains(string(raw), `"user_id":"U0"`) || !strings.Contains(string(raw), `"type":"raw_number"`) {
		t.Errorf("row 1 = %s, want a user mention and a raw number", raw)
	}
	viz, ok := blocks[1].(*slackapi.DataVisualizationBlock)
	if !ok {
		t.Fatalf("block 1 = %T, want a chart", blocks[1])
	}
	if err := viz.Validate(); err != nil {
		t.Errorf("chart does not validate: %v", err)
	}
	// Slack allows 10,000 characters across a message's table cells: rows
	// past that are left out, and a table with no room left becomes text.
	wide := bot.Table{Title: "Wide", Columns: []string{"Text"}}
	for range 100 {
		wide.Rows = append(wide.Rows, []string{strings.Repeat("x", 150)})
	}
	twice := slackbot.RenderBlocks(bot.Message{Tables: []bot.Table{wide, wide}})
	if dt, ok := twice[0].(*slackapi.DataTableBlock); !ok || len(dt.Rows) != 1+66 {
		t.Errorf("first wide table = %#v, want header + 66 rows (4 + 66 × 150 ≤ 10,000)", twice[0])
	}
	if _, ok := twice[1].(*slackapi.SectionBlock); !ok {
		t.Errorf("second wide table = %T, want text", twice[1])
	}

	// Labels cut to 20 characters collide ("category number 1…"): the
	// chart falls back to text rather than being refused.
	chart.Categories = []string{"a very long category A", "a very long category B"}
	chart.Series[0].Values = []float64{1, 2}
	if _, ok := slackbot.RenderBlocks(bot.Message{Charts: []bot.Chart{chart}})[0].(*slackapi.SectionBlock); !ok {
		t.Error("a chart whose labels collide once cut is not rendered as text")
	}
}

func f64(v float64) *float64 { return &v }

// reportMessages are the report answers the golden files show: /funnel
// for a running month, /sla, the weekly digest and a lead's history, with
// leads owned by owner.
func reportMessages(t *testing.T, p handoff.Policy, owner handoff.Owner) map[string]bot.Message {
	t.Helper()
	p.Targets = handoff.Targets{SQLsPerMonth: 20, CustomersPerMonth: 5, AvgDealSize: 40000, Currency: "DKK"}
	now := time.Date(2026, 11, 23, 11, 45, 0, 0, time.UTC)
	month, err := handoff.ParsePeriod("2026-11", now, p.Location)
	if err != nil {
		t.Fatal(err)
	}
	week, err := handoff.ParsePeriod("2026-W47", now, p.Location)
	if err != nil {
		t.Fatal(err)
	}
	visits := int64(1830)
	counts := handoff.FunnelCounts{Leads: 40, MQLs: 25, SQLs: 12, Claimed: 11, Contacted: 9, Opportunities: 5, Won: 3, Lost: 2, Recycled: 1,
		RevenueMinor: 13_500_000, MedianClaimMs: f64(45 * 60 * 1000), MedianContactMs: f64(5.5 * 3600 * 1000),
		SLADue: 10, SLAMet: 8, SLABreached: 1, SLAPending: 1, Visits: &visits,
		ByCampaign: marketingCampaigns, SpeedToLead: marketingSpeed, MedianSystemDelayMs: f64(40 * 1000), MedianRepDelayMs: f64(25 * 60 * 1000)}
	funnel := handoff.NewFunnel(handoff.FunnelFilter{Period: month, Now: now}, counts, p)

	sql, claimed := lead(p, handoff.StageSQL), lead(p, handoff.StageClaimed)
	claimed.Owner = owner
	breached := lead(p, handoff.StageSQL)
	breached.ID, breached.ExternalID, breached.Company = 7, "hs-7", "Berg & Co"
	late := now.Add(-50 * time.Hour)
	breached.SQLAt, breached.ClaimDueAt, breached.ContactDueAt = &late, ptr(p.ClaimDue(late)), ptr(p.ContactDue(late))
	open := handoff.OpenSQLs{Unclaimed: []*handoff.Lead{sql}, Waiting: []*handoff.Lead{claimed}, Breached: []*handoff.Lead{breached},
		UnclaimedTotal: 1, WaitingTotal: 1, BreachedTotal: 1}
	reps := []handoff.RepSLA{
		{Owner: owner, SLAStats: handoff.SLAStats{Due: 5, Met: 4, Breached: 1, Compliance: f64(0.8)}},
		{SLAStats: handoff.SLAStats{Due: 2, Met: 0, Breached: 1, Pending: 1, Compliance: f64(0)}},
	}

	weekFunnel := handoff.NewFunnel(handoff.FunnelFilter{Period: week, Now: now}, handoff.FunnelCounts{SQLs: 4, Won: 1, RevenueMinor: 4_500_000,
		MedianClaimMs: f64(30 * 60 * 1000), MedianContactMs: f64(4 * 3600 * 1000), SLADue: 5, SLAMet: 4, SLABreached: 1,
		ByCampaign: marketingCampaigns[:1], SpeedToLead: marketingSpeed, MedianSystemDelayMs: f64(12 * 60 * 1000), MedianRepDelayMs: f64(18 * 60 * 1000)}, p)
	activity := []handoff.RepActivity{
		{Owner: owner, Claimed: 3, Contacted: 3, SLAStats: handoff.SLAStats{Due: 3, Met: 2, Breached: 1}, MedianContactMs: f64(5 * 3600 * 1000)},
		{Owner: handoff.Owner{Email: "bo@acme.dk"}, Claimed: 1, Contacted: 1, SLAStats: handoff.SLAStats{Due: 2, Met: 2}, MedianContactMs: f64(2 * 3600 * 1000)},
	}
	var trend []handoff.TrendPoint
	for i, n := range []int64{3, 5, 4, 6, 2, 5, 7, 4} {
		start := week.Start.AddDate(0, 0, 7*(i-7))
		y, w := start.ISOWeek()
		trend = append(trend, handoff.TrendPoint{Period: handoff.Period{Label: fmt.Sprintf("%d-W%02d", y, w), Start: start, End: start.AddDate(0, 0, 7)},
			SQLs: n, Won: n / 3, SLAStats: handoff.SLAStats{Compliance: f64(float64(60+5*i) / 100)}})
	}
	events := []handoff.Event{
		{Kind: handoff.EventStage, Stage: handoff.StageSQL, At: *claimed.SQLAt, Actor: handoff.ActorAPI},
		{Kind: handoff.EventStage, Stage: handoff.StageClaimed, At: *claimed.ClaimedAt, Actor: owner.Platform + ":" + owner.UserID},
		{Kind: handoff.EventReminder, Stage: handoff.StageClaimed, At: claimed.ClaimedAt.Add(time.Hour), Actor: handoff.ActorSystem},
	}
	return map[string]bot.Message{
		"report_funnel":  report.FunnelMessage(funnel, now, p),
		"report_sla":     report.SLAMessage(open, reps, month, now, p),
		"report_digest":  report.DigestMessage(weekFunnel, activity, open, trend, now, p),
		"report_history": report.HistoryMessage(claimed, events, now, p),
		"report_empty":   report.LeadsMessage("Your open leads", nil, false, now, p),
	}
}

// Marketing's side of the funnel in the report fixtures: two campaigns
// with reasons, and speed to lead in every bucket.
var (
	marketingCampaigns = []handoff.CampaignCounts{
		{Source: "webinar", Campaign: "Q4 ERP", SQLs: 8, Claimed: 7, NotAFit: 1, Recycled: 2, Won: 2, RevenueMinor: 9_000_000,
			TopReasons: []handoff.ReasonCount{{Reason: "no budget", Count: 2}, {Reason: "outside our segment", Count: 1}}},
		{Source: "paid", SQLs: 4, Claimed: 4, Won: 1, RevenueMinor: 4_500_000},
	}
	marketingSpeed = map[string]handoff.SpeedToLead{
		"<5m": {Contacted: 4, Opportunities: 3, Won: 2}, "5m-1h": {Contacted: 9, Opportunities: 4, Won: 2},
		"1h-4h": {Contacted: 6, Opportunities: 2, Won: 1}, "4h-24h": {Contacted: 5, Opportunities: 1, Won: 1}, ">24h": {Contacted: 11, Won: 1},
	}
)
