package handoff

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Period is a span of local calendar time that KPIs are counted over: the
// half-open interval [Start, End), both at local midnight in the agreement's
// time zone.
type Period struct {
	// Label is the canonical name of the period: "2026-11", "2026-Q4",
	// "2026-W47" or "2026", whatever form it was asked for in.
	Label string    `json:"label"`
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// DefaultPeriod is the period asked for when none is given.
const DefaultPeriod = "month"

// PeriodForms describes the accepted period forms, for help texts and errors.
const PeriodForms = "week, month, quarter, year, last-week, last-month, last-quarter, last-year, " +
	"a month (2026-11), a quarter (2026-Q4), an ISO week (2026-W47) or a year (2026)"

// ParsePeriod resolves s to a period in loc (nil means UTC), relative to now
// for the relative forms: "week", "month", "quarter" and "year" are the
// current ones (including the part still to come), "last-week" …
// "last-year" the previous ones; "2026-11", "2026-Q4", "2026-W47" (ISO 8601
// week, Monday to Monday) and "2026" are absolute. Case and surrounding
// spaces are ignored. Boundaries are the first instants of their local days
// (midnight), so a period spanning a DST change is an hour shorter or longer.
//
// It returns an EINVALID error, with Fields["period"] set, listing the
// accepted forms when s is none of them.
func ParsePeriod(s string, now time.Time, loc *time.Location) (Period, error) {
	loc = locOrUTC(loc)
	key := strings.ToLower(strings.TrimSpace(s))
	local := now.In(loc)
	y, m, d := local.Date()
	switch key {
	case "week":
		return weekPeriod(y, m, d, 0, loc), nil
	case "last-week":
		return LastWeek(now, loc), nil
	case "month":
		return monthPeriod(y, m, loc), nil
	case "last-month":
		return monthPeriod(y, m-1, loc), nil
	case "quarter":
		return quarterPeriod(y, quarterOf(m), loc), nil
	case "last-quarter":
		return quarterPeriod(y, quarterOf(m)-1, loc), nil
	case "year":
		return yearPeriod(y, loc), nil
	case "last-year":
		return yearPeriod(y-1, loc), nil
	}
	if p, ok := parseAbsolutePeriod(key, loc); ok {
		return p, nil
	}
	msg := fmt.Sprintf("unknown period %q; use %s", s, PeriodForms)
	return Period{}, &Error{Code: EINVALID, Message: "invalid period: " + msg, Fields: map[string]string{"period": msg}}
}

// LastWeek returns the ISO week (Monday to Monday) before the one holding
// now in loc (nil means UTC): the week a weekly digest sent at now reports
// on, and "last-week". Its ends are the first instants of their Mondays,
// as every period's (midnight).
func LastWeek(now time.Time, loc *time.Location) Period {
	loc = locOrUTC(loc)
	y, m, d := now.In(loc).Date()
	return weekPeriod(y, m, d, -1, loc)
}

// parseAbsolutePeriod parses the lower-cased forms "2026", "2026-11",
// "2026-q4" and "2026-w47".
func parseAbsolutePeriod(key string, loc *time.Location) (Period, bool) {
	yearStr, rest, hasRest := strings.Cut(key, "-")
	if len(yearStr) != 4 {
		return Period{}, false
	}
	y, ok := digits(yearStr)
	if !ok || y < 1970 {
		return Period{}, false
	}
	if !hasRest {
		return yearPeriod(y, loc), true
	}
	switch {
	case len(rest) == 2 && rest[0] == 'q':
		q, ok := digits(rest[1:])
		if !ok || q < 1 || q > 4 {
			return Period{}, false
		}
		return quarterPeriod(y, q, loc), true
	case len(rest) == 3 && rest[0] == 'w':
		w, ok := digits(rest[1:])
		if !ok || w < 1 || w > ISOWeeksInYear(y) {
			return Period{}, false
		}
		start := isoWeek1Monday(y, loc)
		sy, sm, sd := start.Date()
		return weekPeriod(sy, sm, sd+7*(w-1), 0, loc), true
	case len(rest) == 2:
		mo, ok := digits(rest)
		if !ok || mo < 1 || mo > 12 {
			return Period{}, false
		}
		return monthPeriod(y, time.Month(mo), loc), true
	}
	return Period{}, false
}

// digits parses a string of ASCII digits only (no sign, no spaces).
func digits(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// midnight returns the first instant of the local date y-m-d in loc. Where
// the clocks go forward at midnight (Cuba, Chile, Paraguay, Lebanon) that
// midnight does not exist and time.Date gives an instant of the day before
// (23:00 of the old offset); the day then begins where the new offset
// starts, that instant moved by the change of offset.
func midnight(y int, m time.Month, d int, loc *time.Location) time.Time {
	t := time.Date(y, m, d, 0, 0, 0, 0, loc)
	// Noon of the day always exists and names the day (d may be 0 or past
	// the month's end: time.Date normalises both alike).
	noon := time.Date(y, m, d, 12, 0, 0, 0, loc)
	if t.YearDay() == noon.YearDay() && t.Year() == noon.Year() {
		return t
	}
	_, before := t.Zone()
	_, after := noon.Zone()
	return t.Add(time.Duration(after-before) * time.Second)
}

// weekPeriod returns the ISO week (Monday to Monday) containing the local
// date y-m-d, shifted by offset weeks.
func weekPeriod(y int, m time.Month, d, offset int, loc *time.Location) Period {
	day := midnight(y, m, d, loc)
	back := (int(day.Weekday()) + 6) % 7 // days since Monday
	start := midnight(y, m, d-back+7*offset, loc)
	sy, sm, sd := start.Date()
	end := midnight(sy, sm, sd+7, loc)
	// The label is taken at noon so that a midnight that does not exist in loc
	// cannot move the date.
	wy, wn := time.Date(sy, sm, sd, 12, 0, 0, 0, loc).ISOWeek()
	return Period{Label: fmt.Sprintf("%04d-W%02d", wy, wn), Start: start, End: end}
}

func monthPeriod(y int, m time.Month, loc *time.Location) Period {
	start := midnight(y, m, 1, loc)
	return Period{Label: start.Format("2006-01"), Start: start, End: midnight(y, m+1, 1, loc)}
}

func quarterOf(m time.Month) int { return (int(m)-1)/3 + 1 }

// quarterPeriod returns quarter q of year y; q may be 0 or 5 to mean the
// neighbouring years' quarters.
func quarterPeriod(y, q int, loc *time.Location) Period {
	start := midnight(y, time.Month(3*(q-1)+1), 1, loc)
	end := midnight(y, time.Month(3*q+1), 1, loc)
	sy, sm, _ := start.Date()
	return Period{Label: fmt.Sprintf("%04d-Q%d", sy, quarterOf(sm)), Start: start, End: end}
}

func yearPeriod(y int, loc *time.Location) Period {
	return Period{Label: strconv.Itoa(y), Start: midnight(y, 1, 1, loc), End: midnight(y+1, 1, 1, loc)}
}

// isoWeek1Monday returns the local midnight starting ISO week 1 of year y:
// the Monday of the week that holds 4 January.
func isoWeek1Monday(y int, loc *time.Location) time.Time {
	jan4 := time.Date(y, 1, 4, 12, 0, 0, 0, loc)
	back := (int(jan4.Weekday()) + 6) % 7
	return midnight(y, 1, 4-back, loc)
}

// ISOWeeksInYear returns 53 for ISO years with a week 53 (those whose
// 28 December falls in week 53) and 52 otherwise.
func ISOWeeksInYear(y int) int {
	_, w := time.Date(y, 12, 28, 12, 0, 0, 0, time.UTC).ISOWeek()
	return w
}

// Months returns how many calendar months the period covers, pro rata: each
// month it overlaps contributes the share of that month's real duration
// that falls inside the period. A calendar month is 1, a quarter 3, a year
// 12, and an ISO week 7/30 or 7/31 (split between two months when it
// straddles one). The months are read in the location of p.Start.
func (p Period) Months() float64 {
	return MonthsBetween(p.Start, p.End, p.Start.Location())
}

// MonthsBetween returns the pro-rata number of calendar months in loc (nil
// means UTC) covered by [start, end): the sum over the months it overlaps of
// overlap / month length. It is 0 when end is not after start.
func MonthsBetween(start, end time.Time, loc *time.Location) float64 {
	if !end.After(start) {
		return 0
	}
	loc = locOrUTC(loc)
	y, m, _ := start.In(loc).Date()
	total := 0.0
	for {
		ms, me := midnight(y, m, 1, loc), midnight(y, m+1, 1, loc)
		if !ms.Before(end) {
			return total
		}
		lo, hi := laterTime(ms, start), earlierTime(me, end)
		if hi.After(lo) {
			total += float64(hi.Sub(lo)) / float64(me.Sub(ms))
		}
		y, m, _ = me.Date()
	}
}

// Elapsed returns the part of the period that lies before now: the period
// itself when it is over, [Start, now) while it runs, and an empty period
// (End == Start) when it has not begun.
func (p Period) Elapsed(now time.Time) Period {
	switch {
	case !now.Before(p.End):
		return p
	case !now.After(p.Start):
		return Period{Label: p.Label, Start: p.Start, End: p.Start}
	}
	return Period{Label: p.Label, Start: p.Start, End: now.In(p.Start.Location())}
}

// LastDay returns the local date of the period's last day (End is exclusive).
func (p Period) LastDay() time.Time {
	y, m, d := p.End.In(p.Start.Location()).Date()
	return midnight(y, m, d-1, p.Start.Location())
}
