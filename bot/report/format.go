// Words and numbers shared by the answers, the digest and the terminal.

package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
)

func breachedMark(n int64) string {
	if n > 0 {
		return "⚠️ " + count(n)
	}
	return "✅ 0"
}

// periodSpan writes a period's first and last day: "2 Nov – 8 Nov 2026".
func periodSpan(per handoff.Period, p handoff.Policy) string {
	loc := p.Location
	if loc == nil {
		loc = time.UTC
	}
	first, last := per.Start.In(loc), per.LastDay().In(loc)
	if first.Year() == last.Year() {
		return first.Format("Mon 2 Jan") + " – " + last.Format("Mon 2 Jan 2006")
	}
	return first.Format("Mon 2 Jan 2006") + " – " + last.Format("Mon 2 Jan 2006")
}

// localTime writes t on the policy's wall clock: "Mon 2 Nov 2026 14:05".
func localTime(t time.Time, p handoff.Policy) string {
	return t.In(location(p)).Format("Mon 2 Jan 2006 15:04")
}

// location is the agreement's time zone, UTC when it has none.
func location(p handoff.Policy) *time.Location {
	if p.Location == nil {
		return time.UTC
	}
	return p.Location
}

func zoneName(p handoff.Policy) string {
	if p.Location == nil || p.Location.String() == "" {
		return "UTC"
	}
	return p.Location.String()
}

func clockKind(p handoff.Policy) string {
	if p.BusinessHours != nil {
		return "business hours only"
	}
	return "around the clock"
}

// slaText writes SLA stats: "83% (5 of 6 decided) · 2 pending".
func slaText(s handoff.SLAStats) string {
	decided := s.Met + s.Breached
	if decided == 0 && s.Pending == 0 {
		return "– (nothing settled)"
	}
	if decided == 0 {
		return fmt.Sprintf("– · %d pending", s.Pending)
	}
	out := fmt.Sprintf("%s (%d of %d)", pct(s.Compliance), s.Met, decided)
	if s.Pending > 0 {
		out += fmt.Sprintf(" · %d pending", s.Pending)
	}
	return out
}

// pct writes a rate as a whole percentage, "–" when unknown.
func pct(r *float64) string {
	if r == nil {
		return "–"
	}
	return fmt.Sprintf("%.0f%%", *r*100)
}

// count writes a whole number with thousands separators: "1,250".
func count(n int64) string {
	s := strconv.FormatInt(n, 10)
	sign := ""
	if n < 0 {
		sign, s = "-", s[1:]
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return sign + b.String()
}

// trimFloat writes v with at most two decimals and no trailing zeros.
func trimFloat(v float64) string {
	s := fmt.Sprintf("%.2f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		return "0"
	}
	return s
}

func amountOrDash(v *float64, currency string) string {
	if v == nil {
		return "–"
	}
	return bot.FormatAmount(int64(math.Round(*v*100)), currency)
}

func secondsOrDash(s *float64) string {
	if s == nil {
		return "–"
	}
	return bot.FormatDuration(time.Duration(*s * float64(time.Second)))
}
