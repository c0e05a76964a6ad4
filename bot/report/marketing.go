package report

import (
	"fmt"
	"math"
	"strings"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
)

// campaignRows caps the per-campaign table.
const campaignRows = 10

// marketingSection is marketing's side of a funnel, shown by /funnel, the
// digest and handoff funnel: what the SQLs of each source and campaign
// became with the top reasons, conversion by speed of first contact as a
// chart with one sentence, and whose part of the wait for a claim was the
// system's, its medians written by median.
func marketingSection(f handoff.Funnel, median func(*float64) string) (fields []bot.Field, tables []bot.Table, charts []bot.Chart, context []string) {
	t := bot.Table{Title: "Marketing: SQLs by source and campaign",
		Columns: []string{"Source / campaign", "SQLs", "Claimed", "Not a fit", "Recycled", "Won", "Revenue", "Top reasons"},
		Numeric: []bool{false, true, true, true, true, true, true, false}}
	for _, c := range f.ByCampaign[:min(len(f.ByCampaign), campaignRows)] {
		name := c.Source
		if c.Campaign != "" {
			name += " / " + c.Campaign
		}
		if name == "" {
			name = "(no source)"
		}
		var reasons []string
		for _, r := range c.TopReasons {
			reasons = append(reasons, fmt.Sprintf("%s (%d)", r.Reason, r.Count))
		}
		t.Rows = append(t.Rows, []string{bot.Escape(name), count(c.SQLs), count(c.Claimed), count(c.NotAFit), count(c.Recycled),
			count(c.Won), bot.FormatAmount(int64(math.Round(c.Revenue*100)), f.Currency), bot.OrDash(bot.Escape(strings.Join(reasons, ", ")))})
	}
	tables = append(tables, t)
	if len(f.ByCampaign) > campaignRows {
		context = append(context, fmt.Sprintf("Showing the %d of %d sources and campaigns with the most SQLs.", campaignRows, len(f.ByCampaign)))
	}

	if chart, ok := speedChart(f.SpeedToLead); ok {
		charts = append(charts, chart)
		context = append(context, strings.TrimSpace(speedSentence(f.SpeedToLead)+" "+speedClock))
	}
	fields = append(fields, bot.Field{Key: "Wait for a claim (median)", Value: fmt.Sprintf("system %s · reps %s",
		median(f.Delays.MedianSystemSeconds), median(f.Delays.MedianRepSeconds))})
	return fields, tables, charts, context
}

// speedClock says how the speed of first contact is counted: the buyer's
// wait, not the SLA's business hours (a lead of Friday evening answered on
// Monday morning met the SLA, and was slow).
const speedClock = "Speed of first contact counts around the clock from becoming an SQL."

// speedChart draws the win rate of each speed bucket that has contacted
// leads, labelled with how many ("1h-4h (18)"); a bucket without leads has
// no rate and is left out, as drawn at 0% it would say that contacting that
// fast loses. ok is false when no lead was contacted.
func speedChart(rows []handoff.SpeedToLead) (chart bot.Chart, ok bool) {
	chart = bot.Chart{Kind: bot.ChartBar, Title: "Won by speed of first contact (leads contacted)", Unit: "%", Series: []bot.Series{{Name: "Won %"}}}
	for _, r := range rows {
		if r.Contacted == 0 || r.WinRate == nil {
			continue
		}
		chart.Categories = append(chart.Categories, fmt.Sprintf("%s (%d)", r.Bucket, r.Contacted))
		chart.Series[0].Values = append(chart.Series[0].Values, math.Round(*r.WinRate*100))
	}
	return chart, len(chart.Categories) > 0
}

// speedSentence says how conversion depends on the speed of first contact:
// "Leads contacted within an hour won 31% (of 13), after a day 9% (of 11).",
// naming only the ends that have leads; "" when neither has any.
func speedSentence(rows []handoff.SpeedToLead) string {
	var fastN, fastWon, slowN, slowWon int64
	for _, r := range rows {
		switch r.Bucket {
		case "<5m", "5m-1h":
			fastN, fastWon = fastN+r.Contacted, fastWon+r.Won
		case ">24h":
			slowN, slowWon = slowN+r.Contacted, slowWon+r.Won
		}
	}
	won := func(w, n int64) string { return fmt.Sprintf("%s (of %d)", pct(handoff.Rate(w, n)), n) }
	switch {
	case fastN > 0 && slowN > 0:
		return fmt.Sprintf("Leads contacted within an hour won %s, after a day %s.", won(fastWon, fastN), won(slowWon, slowN))
	case fastN > 0:
		return fmt.Sprintf("Leads contacted within an hour won %s.", won(fastWon, fastN))
	case slowN > 0:
		return fmt.Sprintf("Leads contacted after a day won %s.", won(slowWon, slowN))
	}
	return ""
}
