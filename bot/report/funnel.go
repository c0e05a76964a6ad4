package report

import (
	"fmt"
	"math"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
)

// FunnelHelp is the answer to `/funnel help`.
func FunnelHelp() bot.Message {
	text := "*/funnel [period] [source] [public]* shows what our leads became: the funnel with its conversion rates, " +
		"revenue, time to contact, SLA compliance and both departments' targets.\n\n" +
		"• *period*: " + bot.Escape(handoff.PeriodForms) + ". Default: month.\n" +
		"• *source*: only leads from that source, spelled as the leads have it, e.g. `webinar` or `G2` " +
		"(`source=2026` for one that reads as a period; targets are then left out).\n" +
		"• *public*: share the answer in the channel; otherwise only you see it.\n\n" +
		"Examples: `/funnel`, `/funnel last-month`, `/funnel 2026-Q4 webinar`, `/funnel week public`."
	return bot.Message{Summary: "How to use /funnel", Header: "/funnel help", Sections: []bot.Section{{Text: text}},
		Context: []string{"Also: `/sla` for open SQLs and this month's compliance per rep, `/leads` for your open leads."}, Private: true}
}

// FunnelMessage is the /funnel answer for f as seen at now: the funnel
// table with conversion rates, revenue and deal size, median times to
// claim and contact, SLA compliance, the targets of both departments with
// an on-track mark, a funnel chart, and routing per rep when leads were
// routed in the period. It is private.
func FunnelMessage(f handoff.Funnel, now time.Time, p handoff.Policy) bot.Message {
	title := "Funnel " + f.Period.Label
	if f.Source != "" {
		title += " · " + f.Source
	}
	span := periodSpan(f.Period, p)
	if now.Before(f.Period.End) && now.After(f.Period.Start) {
		span += " (so far)"
	}
	fields := []bot.Field{
		{Key: "Revenue", Value: bot.FormatAmount(int64(math.Round(f.Revenue*100)), f.Currency)},
		{Key: "Average deal size", Value: amountOrDash(f.AvgDealSize, f.Currency)},
		{Key: "Median time to claim", Value: secondsOrDash(f.MedianSecondsToClaim)},
		{Key: "Median time to contact", Value: secondsOrDash(f.MedianSecondsToContact)},
		{Key: "SLA: contacted in time", Value: slaText(f.SLA)},
		{Key: "Lost / recycled", Value: fmt.Sprintf("%d / %d", f.Lost, f.Recycled)},
	}
	m := bot.Message{
		Summary: fmt.Sprintf("%s: %s, %d won (%s), SLA %s", bot.Escape(title), bot.Count(f.SQLs, "SQL", "SQLs"), f.Won,
			bot.FormatAmount(int64(math.Round(f.Revenue*100)), f.Currency), pct(f.SLA.Compliance)),
		Header:   "📊 " + title,
		Sections: []bot.Section{{Text: span, Fields: fields}},
		Private:  true,
	}
	funnel := bot.Table{Title: "Funnel", Columns: []string{"Stage", "Count", "Conversion"}, Numeric: []bool{false, true, true}}
	if f.Visits != nil {
		funnel.Rows = append(funnel.Rows, []string{"Website visits", count(*f.Visits), ""})
	}
	c := f.Conversion
	leadConv := ""
	if f.Visits != nil {
		leadConv = pct(f.VisitToLead)
	}
	stages := []struct {
		name string
		n    int64
		conv string
	}{
		{"Leads", f.Leads, leadConv},
		{"MQLs", f.MQLs, pct(c.LeadToMQL)},
		{"SQLs", f.SQLs, pct(c.MQLToSQL)},
		{"Claimed", f.Claimed, pct(c.SQLToClaimed)},
		{"Contacted", f.Contacted, pct(c.ClaimedToContacted)},
		{"Opportunities", f.Opportunities, pct(c.ContactedToOpportunity)},
		{"Won", f.Won, pct(c.OpportunityToWon)},
	}
	chart := bot.Chart{Kind: bot.ChartBar, Title: "Funnel " + f.Period.Label, Series: []bot.Series{{Name: "Leads"}}}
	for _, s := range stages {
		funnel.Rows = append(funnel.Rows, []string{s.name, count(s.n), s.conv})
		chart.Categories = append(chart.Categories, s.name)
		chart.Series[0].Values = append(chart.Series[0].Values, float64(s.n))
	}
	m.Tables = append(m.Tables, funnel)
	if t := targetsTable(f); len(t.Rows) > 0 {
		m.Tables = append(m.Tables, t)
	}
	m.Charts = []bot.Chart{chart}
	mFields, mTables, mCharts, mContext := marketingSection(f, secondsOrDash)
	m.Sections[0].Fields = append(m.Sections[0].Fields, mFields...)
	m.Tables = append(m.Tables, mTables...)
	m.Charts = append(m.Charts, mCharts...)
	m.Context = append(m.Context, mContext...)
	m.Context = append(m.Context, fmt.Sprintf("Counts are leads that entered each stage in the period; conversion is from the stage above. SQL → won: %s.", pct(c.SQLToWon)),
		handoff.SLAComplianceDefinition)
	if f.Routing != nil {
		team, t := routedFigures(f.Routing, nil, secondsOrDash)
		m.Sections[0].Fields = append(m.Sections[0].Fields, team)
		m.Tables = append(m.Tables, t)
		m.Context = append(m.Context, routedContext(f.Period.Label, false))
	}
	if f.Source != "" {
		if f.Leads+f.SQLs+f.Won == 0 {
			m.Context = append(m.Context, "No leads came from `"+bot.Escape(f.Source)+"` in this period: is the source spelled as in the CRM?")
		}
		m.Context = append(m.Context, "The targets are agreed for all sources together, so they are left out here.")
	}
	m.Context = append(m.Context, "`/funnel help` for other periods and sources.")
	return m
}

// targetsTable compares the agreement's targets with the actuals, pro rata.
func targetsTable(f handoff.Funnel) bot.Table {
	t := bot.Table{Title: "Targets (pro rata)", Columns: []string{"Promise", "Target", "Due by now", "Actual", "Status"},
		Numeric: []bool{false, true, true, true, false}}
	add := func(name string, ta *handoff.TargetActual, format func(float64) string) {
		if ta == nil {
			return
		}
		actual := "–"
		if ta.Actual != nil {
			actual = format(*ta.Actual)
		}
		t.Rows = append(t.Rows, []string{name, format(ta.Target), format(ta.Expected), actual, onTrack(ta.OnTrack)})
	}
	num := oneDecimal // counts; what is due by now to a decimal
	money := func(v float64) string { return bot.FormatAmount(int64(math.Round(v*100)), f.Currency) }
	add("Marketing: SQLs delivered", f.Targets.SQLs, num)
	add("Sales: customers won", f.Targets.Customers, num)
	add("Sales: average deal size", f.Targets.AvgDealSize, money)
	return t
}

func onTrack(ok bool) string {
	if ok {
		return "✅ on track"
	}
	return "⚠️ behind"
}
