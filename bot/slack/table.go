package slack

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	slackapi "github.com/slack-go/slack"

	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/report"
)

// Limits of the data_table and data_visualization blocks.
const (
	maxTableRows     = 100 // data rows, besides the header
	maxTableColumns  = 20
	maxTablePage     = 20     // rows shown before paging
	maxTableChars    = 10_000 // across all cells of all tables of a message
	maxCaption       = 150
	maxChartTitle    = 50
	maxChartLabel    = 20 // categories and series names
	maxChartSeries   = 6
	maxChartPoints   = 20
	maxPreformatted  = maxSectionText - 300 // room for the title, fences and entities
	tableBlockPrefix = "table_"
	chartBlockPrefix = "chart_"
)

// tableBlock renders t as a native data_table block: a raw_text header,
// raw_number cells for numeric columns, rich_text cells where a Slack user
// is mentioned and raw_text otherwise; rows beyond Slack's limit are left
// out, and so are the rows that would take the message's tables past
// Slack's 10,000 characters (budget is what is left, and is reduced). An
// empty or too wide table, one whose first row does not fit the budget, or
// native false, becomes preformatted text (textTable, its users written
// by names). It returns the block and how many rows it shows.
func tableBlock(prefix string, i int, t bot.Table, native bool, budget *int, names report.Options) (slackapi.Block, int) {
	id := fmt.Sprintf("%s%s%d", prefix, tableBlockPrefix, i)
	classic := func() (slackapi.Block, int) {
		body, shown := textTable(t, names)
		return preformatted(id, t.Title, body, len(t.Rows) == 0), shown
	}
	if !native || len(t.Rows) == 0 || len(t.Columns) == 0 || len(t.Columns) > maxTableColumns {
		return classic()
	}
	used := 0
	for _, c := range t.Columns {
		used += utf8.RuneCountInString(orDefault(c, " "))
	}
	fit := 0
	for _, r := range t.Rows[:min(len(t.Rows), maxTableRows)] {
		n := 0
		for j := range t.Columns {
			if j < len(r) {
				n += max(1, utf8.RuneCountInString(r[j]))
			} else {
				n++
			}
		}
		if used+n > *budget {
			break
		}
		used += n
		fit++
	}
	if fit == 0 {
		return classic()
	}
	*budget -= used
	caption := t.Title
	if caption == "" {
		caption = "Table"
	}
	b := slackapi.NewDataTableBlock(bot.CutPlain(caption, maxCaption), slackapi.DataTableBlockOptionBlockID(id))
	header := make([]slackapi.DataTableCell, len(t.Columns))
	for j, c := range t.Columns {
		header[j] = slackapi.NewDataTableRawTextCell(orDefault(c, " "))
	}
	b.AddRow(header...)
	rows := t.Rows[:fit]
	for _, r := range rows {
		cells := make([]slackapi.DataTableCell, len(t.Columns))
		for j := range t.Columns {
			v := ""
			if j < len(r) {
				v = r[j]
			}
			cells[j] = tableCell(v, t.IsNumeric(j))
		}
		b.AddRow(cells...)
	}
	return b.WithPageSize(min(len(rows), maxTablePage)), fit
}

// textTable is t as aligned text (report.Table, users written by names) of
// whole lines within Slack's section text, and how many rows it shows; a
// first row too long for it is cut.
func textTable(t bot.Table, names report.Options) (string, int) {
	lines := strings.Split(strings.TrimRight(names.Table(bot.Table{Columns: t.Columns, Rows: t.Rows, Numeric: t.Numeric}), "\n"), "\n")
	used, kept := 0, 0
	for _, l := range lines {
		n := utf8.RuneCountInString(l) + 1
		if used+n > maxPreformatted {
			break
		}
		used += n
		kept++
	}
	const above = 2 // the header and its rule
	if kept <= above && len(t.Rows) > 0 {
		return bot.CutPlain(strings.Join(lines, "\n"), maxPreformatted), 1
	}
	return strings.Join(lines[:kept], "\n"), max(0, kept-above)
}

// leftOut is the context block under table i of a message that shows its
// first shown rows (bot.Table.Below: how many it left out, or which of a
// list's page it shows and where the list goes on), or nil.
func leftOut(prefix string, i int, t bot.Table, shown int) slackapi.Block {
	line := t.Below(shown)
	if line == "" {
		return nil
	}
	return slackapi.NewContextBlock(fmt.Sprintf("%s%s%d_more", prefix, tableBlockPrefix, i), mrkdwn(bot.Cut(line, maxSectionText)))
}

// tableCell renders one cell of Message markup, its text as written: the
// markup's bold stars dropped before the data's entities are decoded, so
// a star of the data stays.
func tableCell(v string, numeric bool) slackapi.DataTableCell {
	plain := bot.Unescape(strings.ReplaceAll(slackMentions(v), "*", ""))
	if numeric {
		if n, ok := parseNumber(plain); ok {
			return slackapi.NewDataTableRawNumberCell(n).WithText(plain)
		}
	}
	parts := bot.SplitMentions(v)
	hasUser := false
	for _, p := range parts {
		hasUser = hasUser || (p.Mention != nil && (p.Mention.Platform == "" || p.Mention.Platform == Name))
	}
	if !hasUser {
		return slackapi.NewDataTableRawTextCell(orDefault(plain, "–"))
	}
	var elems []slackapi.RichTextSectionElement
	for _, p := range parts {
		switch m := p.Mention; {
		case m == nil:
			elems = append(elems, slackapi.NewRichTextSectionTextElement(bot.Unescape(strings.ReplaceAll(p.Text, "*", "")), nil))
		case m.Platform == "" || m.Platform == Name:
			elems = append(elems, slackapi.NewRichTextSectionUserElement(m.UserID, nil))
		default:
			elems = append(elems, slackapi.NewRichTextSectionTextElement(bot.Unescape(orDefault(m.Label, "a "+m.Platform+" user")), nil))
		}
	}
	return slackapi.NewDataTableRichTextCell(slackapi.NewRichTextSection(elems...))
}

// parseNumber reads a displayed number such as "1,250", "83%", "-2.5" or
// "DKK 40,000"; false when the text is not one number.
func parseNumber(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, ' '); i >= 0 && strings.Trim(s[:i], "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == "" {
		s = s[i+1:] // a currency code
	}
	s = strings.TrimSuffix(s, "%")
	s = strings.ReplaceAll(s, ",", "")
	n, err := strconv.ParseFloat(s, 64)
	return n, err == nil
}

// chartBlock renders c as a native data_visualization block, or as
// preformatted text bars when native is false or the chart does not fit
// Slack's limits (labels are cut to 20 characters, at most 6 series and the
// last 20 categories are kept).
func chartBlock(prefix string, i int, c bot.Chart, native bool) slackapi.Block {
	id := fmt.Sprintf("%s%s%d", prefix, chartBlockPrefix, i)
	fallback := func() slackapi.Block {
		body := report.Chart(bot.Chart{Kind: c.Kind, Categories: c.Categories, Series: c.Series, Unit: c.Unit})
		return preformatted(id, c.Title, body, len(c.Categories) == 0 || len(c.Series) == 0)
	}
	if !native || len(c.Categories) == 0 || len(c.Series) == 0 {
		return fallback()
	}
	first := max(0, len(c.Categories)-maxChartPoints)
	cats := make([]string, 0, len(c.Categories)-first)
	for _, cat := range c.Categories[first:] {
		cats = append(cats, bot.CutPlain(orDefault(cat, "–"), maxChartLabel))
	}
	axis := slackapi.NewDataVisualizationAxisConfig(cats...)
	if c.Unit != "" {
		axis = axis.WithYLabel(c.Unit)
	}
	var series []slackapi.DataVisualizationDataSeries
	for _, s := range c.Series[:min(len(c.Series), maxChartSeries)] {
		points := make([]slackapi.DataVisualizationDataPoint, len(cats))
		for j, cat := range cats {
			v := 0.0
			if first+j < len(s.Values) {
				v = s.Values[first+j]
			}
			points[j] = slackapi.NewDataVisualizationDataPoint(cat, v)
		}
		series = append(series, slackapi.NewDataVisualizationDataSeries(bot.CutPlain(orDefault(s.Name, "Value"), maxChartLabel), points...))
	}
	var chart slackapi.DataVisualizationChart = slackapi.NewDataVisualizationBarChart(axis, series...)
	if c.Kind == bot.ChartLine {
		chart = slackapi.NewDataVisualizationLineChart(axis, series...)
	}
	block := slackapi.NewDataVisualizationBlock(bot.CutPlain(orDefault(c.Title, "Chart"), maxChartTitle), chart, slackapi.DataVisualizationBlockOptionBlockID(id))
	if err := block.Validate(); err != nil {
		return fallback() // e.g. two labels equal once cut
	}
	return block
}

// preformatted is a section with a bold title and body in a code block,
// or "None." when empty; title and body are plain text, shown as written
// (slackText).
func preformatted(id, title, body string, empty bool) slackapi.Block {
	s := ""
	if title != "" {
		s = "*" + bot.Escape(title) + "*\n"
	}
	if empty {
		s += "None."
	} else {
		s += "```\n" + bot.Escape(bot.CutPlain(strings.TrimRight(body, "\n"), maxPreformatted)) + "\n```"
	}
	return slackapi.NewSectionBlock(mrkdwn(s), nil, nil, slackapi.SectionBlockOptionBlockID(id))
}
