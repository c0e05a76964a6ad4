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
// and "None.".
func (r *renderer) table(t bot.Table) []any {
	var out []any
	if t.Title != "" {
		out = append(out, textBlock{Type: "TextBlock", Text: r.plain(cut(t.Title, maxTitle)), Wrap: true, Weight: "Bolder", Spacing: "Medium"})
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
		header.Cells = append(header.Cells, cell(textBlock{Type: "TextBlock", Text: r.plain(cut(c, maxTitle)), Wrap: true, Weight: "Bolder"}))
	}
	el.Rows = append(el.Rows, header)
	for _, row := range t.Rows {
		tr := tableRow{Type: "TableRow"}
		for i := range t.Columns {
			v := ""
			if i < len(row) {
				v = row[i]
			}
			tr.Cells = append(tr.Cells, cell(textBlock{Type: "TextBlock", Text: r.markdown(cut(orDefault(v, "–"), maxText)), Wrap: true}))
		}
		el.Rows = append(el.Rows, tr)
	}
	return append(out, el)
}

// chart renders c as a table: a row per category, a column per series
// and, for a single series, a column of text bars.
func (r *renderer) chart(c bot.Chart) []any {
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
	return r.table(t)
}

func value(vs []float64, i int) float64 {
	if i < len(vs) {
		return vs[i]
	}
	return 0
}

func cell(items ...any) tableCell { return tableCell{Type: "TableCell", Items: items} }
