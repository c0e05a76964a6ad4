// The terminal renderer: bot messages as plain text, the header
// underlined, sections and fields, tables with aligned columns, charts as
// bars of █ characters, context lines and buttons as [Claim]. It is the one
// terminal renderer: `handoff digest --print`, `handoff funnel` (through
// FunnelReport) and the demo use it; the Slack and Teams renderers use its
// tables, charts and numbers where a platform has no native block.

package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/handoff/handoff/bot"
)

// BarWidth is the length of the longest bar of a chart, in characters.
const BarWidth = 30

// Options tune Render. The zero value is usable.
type Options struct {
	// Names returns the display name of a platform user for mentions;
	// nil, or false, writes the mention's label, else "@id".
	Names func(platform, userID string) (string, bool)
}

// Render writes m as plain text, ending with a newline.
func Render(m bot.Message) string { return Options{}.Render(m) }

// Render writes m as plain text, ending with a newline.
func (o Options) Render(m bot.Message) string {
	var blocks []string
	if m.Header != "" {
		blocks = append(blocks, m.Header+"\n"+strings.Repeat("═", max(Width(m.Header), 3)))
	}
	for _, s := range m.Sections {
		var b strings.Builder
		if s.Text != "" {
			b.WriteString(o.Plain(s.Text))
		}
		if len(s.Fields) > 0 {
			if b.Len() > 0 {
				b.WriteString("\n")
			}
			keyWidth := 0
			for _, f := range s.Fields {
				keyWidth = max(keyWidth, Width(o.Plain(f.Key)))
			}
			for i, f := range s.Fields {
				if i > 0 {
					b.WriteString("\n")
				}
				key := o.Plain(f.Key)
				value := strings.ReplaceAll(o.Plain(f.Value), "\n", "\n  "+strings.Repeat(" ", keyWidth+2))
				b.WriteString("  " + key + strings.Repeat(" ", keyWidth-Width(key)) + "  " + value)
			}
		}
		if b.Len() > 0 {
			blocks = append(blocks, b.String())
		}
	}
	for _, t := range m.Tables {
		block := strings.TrimSuffix(o.Table(t), "\n")
		if line := t.Below(len(t.Rows)); line != "" {
			block += "\n" + o.Plain(line)
		}
		blocks = append(blocks, block)
	}
	for _, c := range m.Charts {
		blocks = append(blocks, strings.TrimSuffix(Chart(c), "\n"))
	}
	if len(m.Context) > 0 {
		lines := make([]string, len(m.Context))
		for i, c := range m.Context {
			lines[i] = o.Plain(c)
		}
		blocks = append(blocks, strings.Join(lines, "\n"))
	}
	if len(m.Buttons) > 0 {
		buttons := make([]string, len(m.Buttons))
		for i, b := range m.Buttons {
			buttons[i] = "[" + b.Text + "]"
		}
		blocks = append(blocks, strings.Join(buttons, " "))
	}
	if len(blocks) == 0 {
		return Printable(o.Plain(m.Summary)) + "\n"
	}
	return Printable(strings.Join(blocks, "\n\n")) + "\n"
}

// Printable returns s safe to write to a terminal: every control character
// but line feed and tab, every bidi embedding, override and isolate, and
// every byte that is not UTF-8, is written as a visible escape (\x1b,
// \u009b, \u202e), so data can never send the terminal a control sequence
// nor show the rest of its line reordered.
func Printable(s string) string {
	clean := utf8.ValidString(s)
	for _, r := range s {
		if unprintable(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, "\\x%02x", s[i])
		case unprintable(r) && r < 0x80:
			fmt.Fprintf(&b, "\\x%02x", r)
		case unprintable(r):
			fmt.Fprintf(&b, "\\u%04x", r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// unprintable reports whether r must not reach a terminal as it is.
func unprintable(r rune) bool {
	return r != '\n' && r != '\t' && (unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || bot.IsBidiControl(r))
}

// Plain turns bot.Message markup into plain text: bold stars dropped, entities
// decoded, mentions written as names.
func (o Options) Plain(s string) string {
	var b strings.Builder
	for _, p := range bot.SplitMentions(s) {
		if p.Mention == nil {
			b.WriteString(bot.Unescape(strings.ReplaceAll(p.Text, "*", "")))
			continue
		}
		b.WriteString(o.name(*p.Mention))
	}
	return b.String()
}

func (o Options) name(m bot.MentionRef) string {
	if o.Names != nil {
		if n, ok := o.Names(m.Platform, m.UserID); ok && n != "" {
			return "@" + n
		}
	}
	if m.Label != "" {
		return bot.Unescape(m.Label)
	}
	return "@" + m.UserID
}

// Table writes t with its title, a header row, a rule and the rows, each
// column as wide as its widest cell; numeric columns are aligned right.
func Table(t bot.Table) string { return Options{}.Table(t) }

// Table writes t; see the package function Table.
func (o Options) Table(t bot.Table) string {
	var b strings.Builder
	if t.Title != "" {
		b.WriteString(t.Title + "\n")
	}
	if len(t.Rows) == 0 {
		b.WriteString("  (none)\n")
		return b.String()
	}
	cols := len(t.Columns)
	for _, r := range t.Rows {
		cols = max(cols, len(r))
	}
	cells := make([][]string, 0, len(t.Rows)+1)
	header := make([]string, cols)
	copy(header, t.Columns)
	cells = append(cells, header)
	for _, r := range t.Rows {
		row := make([]string, cols)
		for i, c := range r {
			row[i] = o.Plain(c)
		}
		cells = append(cells, row)
	}
	widths := make([]int, cols)
	for _, r := range cells {
		for i, c := range r {
			widths[i] = max(widths[i], Width(c))
		}
	}
	line := func(r []string) {
		var parts []string
		for i, c := range r {
			pad := strings.Repeat(" ", widths[i]-Width(c))
			if t.IsNumeric(i) {
				parts = append(parts, pad+c)
			} else {
				parts = append(parts, c+pad)
			}
		}
		b.WriteString(strings.TrimRight("  "+strings.Join(parts, "  "), " ") + "\n")
	}
	line(cells[0])
	rule := make([]string, cols)
	for i, w := range widths {
		rule[i] = strings.Repeat("─", w)
	}
	b.WriteString("  " + strings.Join(rule, "  ") + "\n")
	for _, r := range cells[1:] {
		line(r)
	}
	return b.String()
}

// Chart writes c as horizontal bars of █, one line per category and a
// block per series, each series scaled so its largest value is BarWidth
// long. A line chart is drawn the same way.
func Chart(c bot.Chart) string {
	var b strings.Builder
	if c.Title != "" {
		b.WriteString(c.Title + "\n")
	}
	labelWidth := 0
	for _, cat := range c.Categories {
		labelWidth = max(labelWidth, Width(cat))
	}
	for _, s := range c.Series {
		if len(c.Series) > 1 {
			b.WriteString("  " + s.Name + "\n")
		}
		top := 0.0
		for _, v := range s.Values {
			top = max(top, v)
		}
		for i, cat := range c.Categories {
			v := 0.0
			if i < len(s.Values) {
				v = s.Values[i]
			}
			n := 0
			if top > 0 && v > 0 {
				n = max(1, int(math.Round(v/top*BarWidth)))
			}
			bar := strings.Repeat("█", n)
			if n > 0 {
				bar += " "
			}
			b.WriteString("  " + cat + strings.Repeat(" ", labelWidth-Width(cat)) + "  " + bar + Number(v, c.Unit) + "\n")
		}
	}
	return b.String()
}

// Number writes a chart value: whole numbers without decimals, others
// with one, followed by unit.
func Number(v float64, unit string) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	s := strconv.FormatFloat(v, 'f', 1, 64)
	if v == math.Trunc(v) {
		s = strconv.FormatFloat(v, 'f', 0, 64)
	}
	return s + unit
}

// Width is the number of terminal columns s takes: emoji and other wide
// characters count two, combining marks and variation selectors none.
func Width(s string) int {
	w, last := 0, 0
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		s = s[size:]
		switch {
		case r == 0xFE0F:
			// Emoji presentation widens a narrow symbol such as ⚠.
			if last == 1 {
				w++
				last = 2
			}
			continue
		case r == 0xFE0E || r == 0x200D || (r >= 0x0300 && r <= 0x036F):
			continue
		case r >= 0x1F000 || (r >= 0x2600 && r <= 0x27BF && isWideSymbol(r)) || (r >= 0x1100 && r <= 0x115F) ||
			(r >= 0x2E80 && r <= 0xA4CF) || (r >= 0xAC00 && r <= 0xD7A3) || (r >= 0xF900 && r <= 0xFAFF) || (r >= 0xFF00 && r <= 0xFF60):
			w += 2
			last = 2
		default:
			w++
			last = 1
		}
	}
	return w
}

// isWideSymbol reports the symbols of U+2600–U+27BF that terminals show
// two columns wide (those with emoji presentation by default).
func isWideSymbol(r rune) bool {
	switch r {
	case 0x2614, 0x2615, 0x2648, 0x2649, 0x264A, 0x264B, 0x264C, 0x264D, 0x264E, 0x264F, 0x2650, 0x2651, 0x2652, 0x2653,
		0x267F, 0x2693, 0x26A1, 0x26AA, 0x26AB, 0x26BD, 0x26BE, 0x26C4, 0x26C5, 0x26CE, 0x26D4, 0x26EA, 0x26F2, 0x26F3,
		0x26F5, 0x26FA, 0x26FD, 0x2705, 0x270A, 0x270B, 0x2728, 0x274C, 0x274E, 0x2753, 0x2754, 0x2755, 0x2757, 0x2795,
		0x2796, 0x2797, 0x27B0, 0x27BF:
		return true
	}
	return false
}
