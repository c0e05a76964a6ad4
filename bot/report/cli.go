// The funnel for the terminal, for scripts and for spreadsheets (`handoff
// funnel`): a message for the terminal renderer (Render), the API's JSON,
// and one CSV row per period.

package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
)

// Formats lists the output formats, the first being the default.
var Formats = []string{"table", "json", "csv"}

// Write renders f in format ("table", "json" or "csv") to w. It returns an
// EINVALID error for an unknown format and the writer's error otherwise.
func Write(w io.Writer, f handoff.Funnel, format string) error {
	switch format {
	case "table":
		_, err := io.WriteString(w, Render(FunnelReport(f)))
		return err
	case "json":
		return WriteJSON(w, f)
	case "csv":
		return WriteCSV(w, f, true)
	}
	msg := fmt.Sprintf("unknown format %q; use %s", format, strings.Join(Formats, ", "))
	return &handoff.Error{Code: handoff.EINVALID, Message: msg, Fields: map[string]string{"format": msg}}
}

// WriteJSON writes f as indented JSON, exactly as GET /api/funnel answers.
func WriteJSON(w io.Writer, f handoff.Funnel) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(f)
}

// CSVHeader is the header row of WriteCSV.
var CSVHeader = []string{"period", "start", "end", "source", "owner", "currency", "visits",
	"leads", "mqls", "sqls", "claimed", "contacted", "opportunities", "won", "lost", "recycled",
	"revenue", "avg_deal_size", "visit_to_lead", "lead_to_mql", "mql_to_sql", "sql_to_claimed",
	"claimed_to_contacted", "contacted_to_opportunity", "opportunity_to_won", "sql_to_won",
	"median_seconds_to_claim", "median_seconds_to_contact", "time_to_first_order",
	"sla_due", "sla_met", "sla_breached", "sla_pending", "sla_compliance",
	"target_sqls", "expected_sqls", "target_customers", "expected_customers", "target_avg_deal_size"}

// WriteCSV writes f as one CSV row, after CSVHeader when header is true, so
// that a monthly cron job can append a row per period to one file. Unknown
// values (a rate with nothing to divide by, traffic never reported, a
// target not agreed) are empty cells. Text cells are neutralised against
// formula injection (csvText); the numbers are Handoff's own and stay numbers.
func WriteCSV(w io.Writer, f handoff.Funnel, header bool) error {
	num := func(v int64) string { return strconv.FormatInt(v, 10) }
	flt := func(v *float64) string {
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(*v, 'f', -1, 64)
	}
	target := func(t *handoff.TargetActual) (string, string) {
		if t == nil {
			return "", ""
		}
		return flt(&t.Target), flt(&t.Expected)
	}
	visits := ""
	if f.Visits != nil {
		visits = num(*f.Visits)
	}
	tSQL, eSQL := target(f.Targets.SQLs)
	tCust, eCust := target(f.Targets.Customers)
	tAvg, _ := target(f.Targets.AvgDealSize)
	c := f.Conversion
	row := []string{csvText(f.Period.Label), f.Period.Start.Format(dateLayout), f.Period.LastDay().Format(dateLayout),
		csvText(f.Source), csvText(f.Owner), csvText(f.Currency), visits,
		num(f.Leads), num(f.MQLs), num(f.SQLs), num(f.Claimed), num(f.Contacted), num(f.Opportunities),
		num(f.Won), num(f.Lost), num(f.Recycled),
		flt(&f.Revenue), flt(f.AvgDealSize), flt(f.VisitToLead), flt(c.LeadToMQL), flt(c.MQLToSQL), flt(c.SQLToClaimed),
		flt(c.ClaimedToContacted), flt(c.ContactedToOpportunity), flt(c.OpportunityToWon), flt(c.SQLToWon),
		flt(f.MedianSecondsToClaim), flt(f.MedianSecondsToContact), flt(f.TimeToFirstOrder),
		num(f.SLA.Due), num(f.SLA.Met), num(f.SLA.Breached), num(f.SLA.Pending), flt(f.SLA.Compliance),
		tSQL, eSQL, tCust, eCust, tAvg}
	cw := csv.NewWriter(w)
	if header {
		if err := cw.Write(CSVHeader); err != nil {
			return err
		}
	}
	if err := cw.Write(row); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// csvText makes a text cell safe to open in a spreadsheet: a cell that
// begins with a tab or a carriage return, or whose first character after
// any leading white space and zero-width characters (which spreadsheets
// trim or strip before they decide) is one of formulaStarts, would be read
// as a formula, so it is prefixed with an apostrophe, which spreadsheets
// show as text and do not display.
func csvText(s string) string {
	first, _ := utf8.DecodeRuneInString(s)
	start, _ := utf8.DecodeRuneInString(strings.TrimLeftFunc(s, blankBeforeFormula))
	if first == '\t' || first == '\r' || strings.ContainsRune(formulaStarts, start) {
		return "'" + s
	}
	return s
}

// blankBeforeFormula reports whether r, leading a cell, leaves the cell a
// formula when the character after it starts one: white space, and the
// zero-width characters (space, non-joiner, joiner, word joiner, and the
// byte order mark or zero-width no-break space), which spreadsheet apps
// strip from what is pasted or imported.
func blankBeforeFormula(r rune) bool {
	switch r {
	case '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff':
		return true
	}
	return unicode.IsSpace(r)
}

// formulaStarts are the characters that begin a formula: = + - @, their
// full-width forms (＝ ＋ － ＠) and their small forms (﹦ ﹢ ﹣ ﹫), which
// spreadsheets in East Asian locales read as the same.
const formulaStarts = "=+-@＝＋－＠\ufe66\ufe62\ufe63\ufe6b"

const dateLayout = "2006-01-02"

// FunnelReport is `handoff funnel`'s answer for people, as a message for
// the terminal renderer: the period, the money and the median times, the
// SLA, the funnel with the conversion from the stage before, the targets
// with an on-track or behind mark, marketing's side as /funnel shows it
// (its tables only when they have rows), and routing per rep when leads
// were routed in the period. Unknown values show as "–".
func FunnelReport(f handoff.Funnel) bot.Message {
	m := bot.Message{
		Summary: bot.Escape(fmt.Sprintf("Funnel %s", f.Period.Label)),
		Header: fmt.Sprintf("Funnel %s: %s to %s (%s)", f.Period.Label, f.Period.Start.Format(dateLayout),
			f.Period.LastDay().Format(dateLayout), f.Period.Start.Location()),
	}
	var filter []bot.Field
	if f.Source != "" {
		filter = append(filter, bot.Field{Key: "Source", Value: bot.Escape(f.Source)})
	}
	if f.Owner != "" {
		filter = append(filter, bot.Field{Key: "Owner", Value: bot.Escape(f.Owner)})
	}
	if len(filter) > 0 {
		m.Sections = append(m.Sections, bot.Section{Fields: filter})
	}
	s := f.SLA
	mFields, mTables, mCharts, mContext := marketingSection(f, duration)
	m.Sections = append(m.Sections,
		bot.Section{Fields: append([]bot.Field{
			{Key: "Revenue", Value: money(&f.Revenue, f.Currency)},
			{Key: "Average deal size", Value: money(f.AvgDealSize, f.Currency)},
			{Key: "Median time to claim", Value: duration(f.MedianSecondsToClaim)},
			{Key: "Median time to contact", Value: duration(f.MedianSecondsToContact)},
			{Key: "Time to first order", Value: duration(f.TimeToFirstOrder)},
		}, mFields...)},
		bot.Section{Text: fmt.Sprintf("SLA, first contact on time: %s compliance\n  %s due, %s met, %s breached, %s pending",
			percent(s.Compliance), count(s.Due), count(s.Met), count(s.Breached), count(s.Pending))})

	stages := bot.Table{Columns: []string{"Stage", "Count", "Conversion"}, Numeric: []bool{false, true, false}}
	if f.Visits != nil {
		stages.Rows = append(stages.Rows, []string{"Visits", count(*f.Visits), ""})
	}
	c := f.Conversion
	stage := func(name string, n int64, rate *float64, of string) {
		conv := ""
		if of != "" && (of != "visits" || f.Visits != nil) {
			conv = percent(rate) + " of " + of
		}
		stages.Rows = append(stages.Rows, []string{name, count(n), conv})
	}
	stage("Leads", f.Leads, f.VisitToLead, "visits")
	stage("MQLs", f.MQLs, c.LeadToMQL, "leads")
	stage("SQLs", f.SQLs, c.MQLToSQL, "MQLs")
	stage("Claimed", f.Claimed, c.SQLToClaimed, "SQLs")
	stage("Contacted", f.Contacted, c.ClaimedToContacted, "claimed")
	stage("Opportunities", f.Opportunities, c.ContactedToOpportunity, "contacted")
	stage("Won", f.Won, c.OpportunityToWon, "opportunities")
	stage("Lost", f.Lost, nil, "")
	stage("Recycled", f.Recycled, nil, "")
	stages.Rows = append(stages.Rows, []string{"SQL to won", "", percent(c.SQLToWon)})
	m.Tables = append(m.Tables, stages)

	t := f.Targets
	targets := bot.Table{Columns: []string{"Targets", "Target", "Due by now", "Actual", "Status"}, Numeric: []bool{false, true, true, true, false}}
	target := func(name string, ta *handoff.TargetActual, format func(*float64) string) {
		if ta == nil {
			return
		}
		status := "behind"
		if ta.OnTrack {
			status = "on track"
		}
		targets.Rows = append(targets.Rows, []string{name, format(&ta.Target), format(&ta.Expected), format(ta.Actual), status})
	}
	number := func(v *float64) string {
		if v == nil {
			return "–"
		}
		return strconv.FormatFloat(*v, 'f', -1, 64)
	}
	whole := func(v *float64) string { return money(v, "") }
	target("SQLs (marketing)", t.SQLs, number)
	target("Customers (sales)", t.Customers, number)
	target("Avg deal size (sales)", t.AvgDealSize, whole)
	if len(targets.Rows) > 0 {
		m.Tables = append(m.Tables, targets)
	}
	for _, t := range mTables {
		if len(t.Rows) > 0 {
			m.Tables = append(m.Tables, t)
		}
	}
	m.Charts = append(m.Charts, mCharts...)
	m.Context = append(mContext, handoff.SLAComplianceDefinition)
	if f.Routing != nil {
		team, routed := routedFigures(f.Routing, nil, duration)
		m.Sections = append(m.Sections, bot.Section{Fields: []bot.Field{team}})
		m.Tables = append(m.Tables, routed)
		m.Context = append(m.Context, routedContext(f.Period.Label, false))
	}
	return m
}

// money formats a major-unit amount as chat does, with thousands
// separators and decimals only when it has cents: "DKK 42,250.08" with a
// currency, "40,000" without.
func money(v *float64, currency string) string {
	if v == nil {
		return "–"
	}
	cents := int64(math.Round(*v * 100))
	if currency != "" {
		return bot.FormatAmount(cents, currency)
	}
	s := count(cents / 100)
	if frac := cents % 100; frac != 0 {
		s += fmt.Sprintf(".%02d", abs(frac))
	}
	return s
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

func percent(v *float64) string {
	if v == nil {
		return "–"
	}
	return strconv.FormatFloat(*v*100, 'f', 1, 64) + "%"
}

// duration renders seconds as the two largest units: "45s", "12m 5s",
// "3h 20m", "4d 6h".
func duration(sec *float64) string {
	if sec == nil {
		return "–"
	}
	s := int64(math.Round(*sec))
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm %ds", s/60, s%60)
	case s < 86400:
		return fmt.Sprintf("%dh %dm", s/3600, s%3600/60)
	}
	return fmt.Sprintf("%dd %dh", s/86400, s%86400/3600)
}
