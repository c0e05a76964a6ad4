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

// marketingSection is marketing's side of a funnel, shown by /funnel and
// the digest: what the SQLs of each source and campaign became with the
// top reasons, conversion by speed of first contact as a chart with one
// sentence, and whose part of the wait for a claim was the system's.
func marketingSection(f handoff.Funnel) (fields []bot.Field, tables []bot.Table, charts []bot.Chart, context []string) {
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

	chart := bot.Chart{Kind: bot.ChartBar, Title: "Won by speed of first contact", Unit: "%", Series: []bot.Series{{Name: "Won %"}}}
	var contacted int64
	for _, s := range f.SpeedToLead {
		contacted += s.Contacted
		chart.Categories = append(chart.Categories, s.Bucket)
		v := 0.0
		if s.WinRate != nil {
			v = math.Round(*s.WinRate * 100)
		}
		chart.Series[0].Values = append(chart.Series[0].Values, v)
	}
	if contacted > 0 {
		charts = append(charts, chart)
		if s := speedSentence(f.SpeedToLead); s != "" {
			context = append(context, s)
		}
	}
	fields = append(fields, bot.Field{Key: "Wait for a claim (median)", Value: fmt.Sprintf("system %s · reps %s",
		secondsOrDash(f.Delays.MedianSystemSeconds), secondsOrDash(f.Delays.MedianRepSeconds))})
	return fields, tables, charts, context
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
