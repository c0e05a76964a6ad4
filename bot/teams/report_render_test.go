package teams_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/report"
	"github.com/handoff/handoff/bot/teams"
)

func TestRenderReportGolden(t *testing.T) {
	p := policy(t)
	for name, msg := range reportMessages(t, p, handoff.Owner{Platform: "teams", UserID: repID}) {
		t.Run(name, func(t *testing.T) {
			golden(t, name, teams.RenderCard(msg, names))
		})
	}
}

func TestRenderTableMentions(t *testing.T) {
	msg := bot.Message{Summary: "x", Tables: []bot.Table{{Title: "Reps", Columns: []string{"Rep", "N"}, Numeric: []bool{false, true},
		Rows: [][]string{{bot.Mention(repID), "3"}}}}}
	raw, err := json.Marshal(teams.RenderCard(msg, names))
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	for _, want := range []string{`"type":"Table"`, `"horizontalCellContentAlignment":"Right"`, `\u003cat\u003eRita Rep\u003c/at\u003e`, `"type":"mention"`} {
		if !strings.Contains(s, want) {
			t.Errorf("card lacks %s: %s", want, s)
		}
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

// TestRenderNativeCharts: a one-series bar chart becomes Chart.VerticalBar,
// several series Chart.VerticalBar.Grouped, a line Chart.Line; each keeps
// the chart as a table in its fallback.
func TestRenderNativeCharts(t *testing.T) {
	bars := bot.Chart{Kind: bot.ChartBar, Title: "Funnel", Categories: []string{"Leads", "SQLs"}, Series: []bot.Series{{Name: "Leads", Values: []float64{40, 12}}}}
	grouped := bot.Chart{Kind: bot.ChartBar, Title: "Volume", Categories: []string{"W46", "W47"},
		Series: []bot.Series{{Name: "SQLs", Values: []float64{7, 4}}, {Name: "Won", Values: []float64{2, 1}}}}
	line := bot.Chart{Kind: bot.ChartLine, Title: "In time", Unit: "%", Categories: []string{"W46", "W47"}, Series: []bot.Series{{Name: "In time %", Values: []float64{90, 95}}}}
	raw, err := json.Marshal(teams.RenderCard(bot.Message{Summary: "charts", Charts: []bot.Chart{bars, grouped, line}}, names))
	if err != nil {
		t.Fatal(err)
	}
	var card struct {
		Body []struct {
			Type     string          `json:"type"`
			Data     json.RawMessage `json:"data"`
			Fallback struct {
				Type  string           `json:"type"`
				Items []map[string]any `json:"items"`
			} `json:"fallback"`
		} `json:"body"`
	}
	if err := json.Unmarshal(raw, &card); err != nil {
		t.Fatal(err)
	}
	want := []struct{ typ, data string }{
		{"Chart.VerticalBar", `[{"x":"Leads","y":40},{"x":"SQLs","y":12}]`},
		{"Chart.VerticalBar.Grouped", `[{"legend":"SQLs","values":[{"x":"W46","y":7},{"x":"W47","y":4}]},{"legend":"Won","values":[{"x":"W46","y":2},{"x":"W47","y":1}]}]`},
		{"Chart.Line", `[{"legend":"In time %","values":[{"x":"W46","y":90},{"x":"W47","y":95}]}]`},
	}
	if len(card.Body) != len(want) {
		t.Fatalf("body has %d elements, want %d: %s", len(card.Body), len(want), raw)
	}
	for i, w := range want {
		el := card.Body[i]
		if el.Type != w.typ || string(el.Data) != w.data {
			t.Errorf("chart %d = %s %s, want %s %s", i, el.Type, el.Data, w.typ, w.data)
		}
		if el.Fallback.Type != "Container" || len(el.Fallback.Items) != 2 || el.Fallback.Items[1]["type"] != "Table" {
			t.Errorf("chart %d fallback = %+v, want the chart as a table", i, el.Fallback)
		}
	}
}
