package teams

import (
	"math"
	"strings"

	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/report"
)

// table is an Adaptive Card Table element (schema 1.5).
type table struct {
	Type             string        `json:"type"`
	Columns          []tableColumn `json:"columns"`
	Rows             []tableRow    `json:"rows"`
	FirstRowAsHeader bool          `json:"firstRowAsHeader"`
	ShowGridLines    bool          `json:"showGridLines"`
	GridStyle        string        `json:"gridStyle,omitempty"`
	Spacing          string        `json:"spacing,omitempty"`
}

type tableColumn struct {
	Width                          int    `json:"width"`
	HorizontalCellContentAlignment string `json:"horizontalCellContentAlignment,omitempty"`
}

type tableRow struct {
	Type  string      `json:"type"`
	Cells []tableCell `json:"cells"`
}

type tableCell struct {
	Type  string `json:"type"`
	Items []any  `json:"items"`
}

// chartBarWidth is the length of a chart's longest text bar.
const chartBarWidth = 12

// table renders t as a bold title and a Table whose first row is the
// header; numeric columns are aligned right. An empty table is its title
// and "None.". With limit ≥ 0 it shows at most limit rows; a line under
// the table says how many it left out, or which of a list's page it shows
// (bot.Table.Below).
func (r *renderer) table(t bot.Table, limit int) []any {
	var out []any
	if t.Title != "" {
		out = append(out, textBlock{Type: "TextBlock", Text: r.plain(bot.CutPlain(t.Title, maxTitle)), Wrap: true, Weight: "Bolder", Spacing: "Medium"})
	}
	if len(t.Rows) == 0 || len(t.Columns) == 0 {
		return append(out, textBlock{Type: "TextBlock", Text: "None.", Wrap: true, IsSubtle: true})
	}
	el := table{Type: "Table", FirstRowAsHeader: true, ShowGridLines: true, GridStyle: "accent", Spacing: "Small"}
	header := tableRow{Type: "TableRow"}
	for i, c := range t.Columns {
		col := tableColumn{Width: 1}
		if i == 0 {
			col.Width = 2
		}
		if t.IsNumeric(i) {
			col.HorizontalCellContentAlignment = "Right"
		}
		el.Columns = append(el.Columns, col)
		header.Cells = append(header.Cells, cell(textBlock{Type: "TextBlock", Text: r.plain(bot.CutPlain(c, maxTitle)), Wrap: true, Weight: "Bolder"}))
	}
	el.Rows = append(el.Rows, header)
	rows := t.Rows
	if limit >= 0 && limit < len(rows) {
		rows = rows[:limit]
	}
	for _, row := range rows {
		tr := tableRow{Type: "TableRow"}
		for i := range t.Columns {
			v := ""
			if i < len(row) {
				v = row[i]
			}
			tr.Cells = append(tr.Cells, cell(textBlock{Type: "TextBlock", Text: r.markdown(bot.Cut(orDefault(v, "–"), maxText)), Wrap: true}))
		}
		el.Rows = append(el.Rows, tr)
	}
	if len(rows) > 0 {
		out = append(out, el)
	}
	if line := t.Below(len(rows)); line != "" {
		out = append(out, textBlock{Type: "TextBlock", Text: r.markdown(line), Wrap: true, Size: "Small", IsSubtle: true})
	}
	return out
}

// chartElement is a Teams chart: Chart.VerticalBar (one series),
// Chart.VerticalBar.Grouped (several) or Chart.Line, with the chart as a
// table for clients without charts as its fallback.
type chartElement struct {
	Type          string `json:"type"`
	Title         string `json:"title,omitempty"`
	ColorSet      string `json:"colorSet,omitempty"`
	ShowBarValues bool   `json:"showBarValues,omitempty"`
	Data          any    `json:"data"`
	Fallback      any    `json:"fallback,omitempty"`
	Spacing       string `json:"spacing,omitempty"`
}

// chartPoint is one value: a bar, or a point of a line.
type chartPoint struct {
	X string  `json:"x"`
	Y float64 `json:"y"`
}

// chartSeries is one named series of a grouped bar or a line chart.
type chartSeries struct {
	Legend string       `json:"legend"`
	Values []chartPoint `json:"values"`
}

// container groups elements, here the fallback of a chart.
type container struct {
	Type  string `json:"type"`
	Items []any  `json:"items"`
}

// chart renders c as a native Teams chart whose fallback is the chart as a
// table (chartTable), for clients that cannot draw charts. A chart's
// title, legends and labels are plain text to Teams, not markdown, so
// they are written as they are, without markdown's escapes (a speed
// bucket "<5m" would show its backslash).
func (r *renderer) chart(c bot.Chart) []any {
	el := chartElement{Title: bot.CutPlain(c.Title, maxTitle), ColorSet: "categorical", Spacing: "Medium",
		Fallback: container{Type: "Container", Items: r.chartTable(c)}}
	series := make([]chartSeries, len(c.Series))
	for i, s := range c.Series {
		series[i].Legend = bot.CutPlain(orDefault(s.Name, "Value"), maxTitle)
		for j, cat := range c.Categories {
			series[i].Values = append(series[i].Values, chartPoint{X: bot.CutPlain(orDefault(cat, "–"), maxTitle), Y: value(s.Values, j)})
		}
	}
	switch {
	case c.Kind == bot.ChartLine:
		el.Type, el.Data = "Chart.Line", series
	case len(series) == 1:
		el.Type, el.Data, el.ShowBarValues = "Chart.VerticalBar", series[0].Values, true
	default:
		el.Type, el.Data = "Chart.VerticalBar.Grouped", series
	}
	return []any{el}
}

// chartTable renders c as a table: a row per category, a column per series
// and, for a single series, a column of text bars.
func (r *renderer) chartTable(c bot.Chart) []any {
	t := bot.Table{Title: c.Title, Columns: []string{""}, Numeric: []bool{false}}
	for _, s := range c.Series {
		t.Columns = append(t.Columns, s.Name)
		t.Numeric = append(t.Numeric, true)
	}
	single := len(c.Series) == 1
	top := 0.0
	if single {
		t.Columns = append(t.Columns, "")
		for _, v := range c.Series[0].Values {
			top = max(top, v)
		}
	}
	for i, cat := range c.Categories {
		row := []string{bot.Escape(cat)}
		for _, s := range c.Series {
			v := 0.0
			if i < len(s.Values) {
				v = s.Values[i]
			}
			row = append(row, report.Number(v, c.Unit))
		}
		if single {
			bar := " "
			if v := value(c.Series[0].Values, i); top > 0 && v > 0 {
				bar = strings.Repeat("█", max(1, int(math.Round(v/top*chartBarWidth))))
			}
			row = append(row, bar)
		}
		t.Rows = append(t.Rows, row)
	}
	return r.table(t, -1)
}

func value(vs []float64, i int) float64 {
	if i < len(vs) {
		return vs[i]
	}
	return 0
}

func cell(items ...any) tableCell { return tableCell{Type: "TableCell", Items: items} }
