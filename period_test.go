package handoff_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
)

func periodZone(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestParsePeriod(t *testing.T) {
	cph := periodZone(t)
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	// Wednesday 18 November 2026, 10:00 in Copenhagen (CET, UTC+1).
	now := at("2026-11-18T09:00:00Z")
	cases := []struct {
		name, in string
		now      time.Time
		label    string
		start    string // RFC 3339 with Copenhagen's offset
		end      string
	}{
		{"Week", "week", now, "2026-W47", "2026-11-16T00:00:00+01:00", "2026-11-23T00:00:00+01:00"},
		{"LastWeek", "last-week", now, "2026-W46", "2026-11-09T00:00:00+01:00", "2026-11-16T00:00:00+01:00"},
		{"Month", "month", now, "2026-11", "2026-11-01T00:00:00+01:00", "2026-12-01T00:00:00+01:00"},
		{"LastMonthAcrossDST", "last-month", now, "2026-10", "2026-10-01T00:00:00+02:00", "2026-11-01T00:00:00+01:00"},
		{"Quarter", "quarter", now, "2026-Q4", "2026-10-01T00:00:00+02:00", "2027-01-01T00:00:00+01:00"},
		{"LastQuarter", "last-quarter", now, "2026-Q3", "2026-07-01T00:00:00+02:00", "2026-10-01T00:00:00+02:00"},
		{"Year", "year", now, "2026", "2026-01-01T00:00:00+01:00", "2027-01-01T00:00:00+01:00"},
		{"LastYear", "last-year", now, "2025", "2025-01-01T00:00:00+01:00", "2026-01-01T00:00:00+01:00"},
		{"AbsoluteMonth", "2026-03", now, "2026-03", "2026-03-01T00:00:00+01:00", "2026-04-01T00:00:00+02:00"},
		{"AbsoluteQuarter", "2026-Q1", now, "2026-Q1", "2026-01-01T00:00:00+01:00", "2026-04-01T00:00:00+02:00"},
		{"AbsoluteWeek", "2026-W47", now, "2026-W47", "2026-11-16T00:00:00+01:00", "2026-11-23T00:00:00+01:00"},
		{"AbsoluteYear", "2024", now, "2024", "2024-01-01T00:00:00+01:00", "2025-01-01T00:00:00+01:00"},
		{"CaseAndSpaces", "  2026-q4 ", now, "2026-Q4", "2026-10-01T00:00:00+02:00", "2027-01-01T00:00:00+01:00"},
		{"LowerCaseWeek", "2026-w01", now, "2026-W01", "2025-12-29T00:00:00+01:00", "2026-01-05T00:00:00+01:00"},
		// 2026 starts on a Thursday, so it has an ISO week 53 reaching into 2027.
		{"ISOWeek53", "2026-W53", now, "2026-W53", "2026-12-28T00:00:00+01:00", "2027-01-04T00:00:00+01:00"},
		{"ISOWeek53Of2020", "2020-W53", now, "2020-W53", "2020-12-28T00:00:00+01:00", "2021-01-04T00:00:00+01:00"},
		// Tuesday 5 January 2027: this is 2027-W01, last week is 2026-W53.
		{"LastWeekAcrossYearEnd", "last-week", at("2027-01-05T12:00:00Z"), "2026-W53", "2026-12-28T00:00:00+01:00", "2027-01-04T00:00:00+01:00"},
		// 1 January 2027 is a Friday in ISO week 2026-W53.
		{"WeekOnNewYearsDay", "week", at("2027-01-01T12:00:00Z"), "2026-W53", "2026-12-28T00:00:00+01:00", "2027-01-04T00:00:00+01:00"},
		{"LastMonthInJanuary", "last-month", at("2027-01-15T12:00:00Z"), "2026-12", "2026-12-01T00:00:00+01:00", "2027-01-01T00:00:00+01:00"},
		{"LastQuarterInJanuary", "last-quarter", at("2027-01-15T12:00:00Z"), "2026-Q4", "2026-10-01T00:00:00+02:00", "2027-01-01T00:00:00+01:00"},
		// 23:30 UTC on 31 October is already 1 November in Copenhagen.
		{"LocalDateNotUTCDate", "month", at("2026-10-31T23:30:00Z"), "2026-11", "2026-11-01T00:00:00+01:00", "2026-12-01T00:00:00+01:00"},
		// 00:30 local on Monday 16 November is 23:30 UTC on Sunday.
		{"WeekStartsAtLocalMonday", "week", at("2026-11-15T23:30:00Z"), "2026-W47", "2026-11-16T00:00:00+01:00", "2026-11-23T00:00:00+01:00"},
		// The week of the spring DST change is an hour short.
		{"WeekWithSpringDST", "2026-W13", now, "2026-W13", "2026-03-23T00:00:00+01:00", "2026-03-30T00:00:00+02:00"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := handoff.ParsePeriod(tc.in, tc.now, cph)
			if err != nil {
				t.Fatalf("ParsePeriod(%q): %v", tc.in, err)
			}
			if p.Label != tc.label || p.Start.Format(time.RFC3339) != tc.start || p.End.Format(time.RFC3339) != tc.end {
				t.Fatalf("ParsePeriod(%q) = %s [%s, %s), want %s [%s, %s)", tc.in,
					p.Label, p.Start.Format(time.RFC3339), p.End.Format(time.RFC3339), tc.label, tc.start, tc.end)
			}
			if p.Start.Location() != cph {
				t.Errorf("start is in %v, want Europe/Copenhagen", p.Start.Location())
			}
		})
	}

	t.Run("DSTChangesDurations", func(t *testing.T) {
		for in, want := range map[string]time.Duration{
			"2026-10":  745 * time.Hour, // 31 days and the hour gained on 25 October
			"2026-03":  743 * time.Hour, // 31 days less the hour lost on 29 March
			"2026-W13": 167 * time.Hour, // 23 to 30 March
			"2026-W43": 169 * time.Hour, // 19 to 26 October
			"2026-W44": 168 * time.Hour, // 26 October to 2 November: after the change
		} {
			p, err := handoff.ParsePeriod(in, now, cph)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.End.Sub(p.Start); got != want {
				t.Errorf("%s lasts %s, want %s", in, got, want)
			}
		}
	})

	t.Run("NilLocationIsUTC", func(t *testing.T) {
		p, err := handoff.ParsePeriod("2026-11", now, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !p.Start.Equal(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("start = %s, want 2026-11-01T00:00:00Z", p.Start)
		}
	})

	for _, bad := range []string{"", " ", "next-month", "2026-13", "2026-00", "2026-1", "26-11", "2026-Q0", "2026-Q5",
		"2026-W00", "2026-W54", "2025-W53", "2026-W5", "2026-11-20", "1969", "+2026", "2026-", "２０２６", "2026-Q4x", "weeks"} {
		t.Run("Bad/"+bad, func(t *testing.T) {
			_, err := handoff.ParsePeriod(bad, now, cph)
			if handoff.ErrorCode(err) != handoff.EINVALID {
				t.Fatalf("ParsePeriod(%q) error = %v, want an EINVALID error", bad, err)
			}
			field := handoff.ErrorFields(err)["period"]
			if !strings.Contains(field, "last-month") || !strings.Contains(field, "2026-W47") {
				t.Errorf("error field %q does not list the accepted forms", field)
			}
		})
	}
}

func TestISOWeeksInYear(t *testing.T) {
	for y, want := range map[int]int{2015: 53, 2020: 53, 2021: 52, 2025: 52, 2026: 53, 2027: 52, 2032: 53} {
		if got := handoff.ISOWeeksInYear(y); got != want {
			t.Errorf("ISOWeeksInYear(%d) = %d, want %d", y, got, want)
		}
	}
}

func TestPeriodMonths(t *testing.T) {
	cph := periodZone(t)
	now := time.Date(2026, 11, 18, 9, 0, 0, 0, time.UTC)
	cases := []struct {
		in   string
		want float64
	}{
		{"2026-11", 1},
		{"2026-10", 1}, // the DST hour does not make it more than a month
		{"2026-Q4", 3},
		{"2026", 12},
		{"2026-W47", 7.0 / 30},
		// 26 October to 2 November: six days of a 745-hour October, one of November.
		{"2026-W44", 144.0/745 + 24.0/720},
		// 28 December 2026 to 4 January 2027: four days of December, three of January.
		{"2026-W53", 4.0/31 + 3.0/31},
	}
	for _, tc := range cases {
		p, err := handoff.ParsePeriod(tc.in, now, cph)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Months(); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("%s.Months() = %v, want %v", tc.in, got, tc.want)
		}
	}

	nov, _ := handoff.ParsePeriod("2026-11", now, cph)
	for _, tc := range []struct {
		now  time.Time
		want float64
	}{
		{time.Date(2026, 10, 20, 0, 0, 0, 0, time.UTC), 0},           // not begun
		{time.Date(2026, 11, 15, 23, 0, 0, 0, time.UTC), 0.5},        // 16 Nov 00:00 local: 15 of 30 days
		{time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC), 466.0 / 720}, // 19 days 10 hours
		{time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC), 1},             // over
		{time.Date(2026, 11, 30, 23, 0, 0, 0, time.UTC), 1},          // exactly at the end
		{time.Date(2026, 10, 31, 23, 0, 0, 0, time.UTC).Add(-1), 0},  // just before the start
		{time.Date(2026, 10, 31, 23, 0, 0, 0, time.UTC).Add(time.Hour), 1.0 / 720},
	} {
		if got := nov.Elapsed(tc.now).Months(); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("November elapsed at %s = %v months, want %v", tc.now, got, tc.want)
		}
	}
}

func TestPeriodLastDay(t *testing.T) {
	cph := periodZone(t)
	p, err := handoff.ParsePeriod("2026-10", time.Now(), cph)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.LastDay().Format("2006-01-02"); got != "2026-10-31" {
		t.Errorf("LastDay = %s, want 2026-10-31", got)
	}
}

// TestPeriodsWhereMidnightIsSkipped checks the periods of zones whose clocks
// go forward at midnight: the day's first instant is 01:00, and a period
// starting that day neither begins in the day before nor loses its first
// day.
func TestPeriodsWhereMidnightIsSkipped(t *testing.T) {
	havana, err := time.LoadLocation("America/Havana") // 2026-03-08 00:00 CST → 01:00 CDT
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	santiago, err := time.LoadLocation("America/Santiago") // 2026-09-06 00:00 → 01:00
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	tehran, err := time.LoadLocation("Asia/Tehran") // 2021-03-22 (a Monday) 00:00 → 01:00
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	asuncion, err := time.LoadLocation("America/Asuncion") // 2023-10-01 00:00 → 01:00
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	tests := []struct {
		key       string
		loc       *time.Location
		wantStart string // local, RFC 3339
		wantEnd   string
	}{
		{"2021-W12", tehran, "2021-03-22T01:00:00+04:30", "2021-03-29T00:00:00+04:30"},
		{"2021-W11", tehran, "2021-03-15T00:00:00+03:30", "2021-03-22T01:00:00+04:30"},
		{"2023-10", asuncion, "2023-10-01T01:00:00-03:00", "2023-11-01T00:00:00-03:00"},
		{"2023-Q3", asuncion, "2023-07-01T00:00:00-04:00", "2023-10-01T01:00:00-03:00"},
		{"2026-W10", havana, "2026-03-02T00:00:00-05:00", "2026-03-09T00:00:00-04:00"},
		{"2026-W36", santiago, "2026-08-31T00:00:00-04:00", "2026-09-07T00:00:00-03:00"},
		{"2026-03", havana, "2026-03-01T00:00:00-05:00", "2026-04-01T00:00:00-04:00"},
	}
	for _, tt := range tests {
		p, err := handoff.ParsePeriod(tt.key, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), tt.loc)
		if err != nil {
			t.Fatalf("%s: %v", tt.key, err)
		}
		if got := p.Start.In(tt.loc).Format(time.RFC3339); got != tt.wantStart {
			t.Errorf("%s starts %s, want %s", tt.key, got, tt.wantStart)
		}
		if got := p.End.In(tt.loc).Format(time.RFC3339); got != tt.wantEnd {
			t.Errorf("%s ends %s, want %s", tt.key, got, tt.wantEnd)
		}
	}
}
