package handoff

import (
	"math/rand/v2"
	"testing"
	"time"
)

// cph is the zone of the first customers; it has DST changes on
// 2026-03-29 (02:00 CET -> 03:00 CEST) and 2026-10-25 (03:00 CEST -> 02:00 CET).
func cph(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		t.Fatalf("load Europe/Copenhagen: %v", err)
	}
	return loc
}

// at parses "2006-01-02 15:04 -07:00". Expected values carry the explicit UTC
// offset so each one states which side of a DST change it is on.
func at(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse("2006-01-02 15:04 -07:00", s)
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return v
}

// officeHours returns Mon-Fri 08:00-17:00 with the given holidays.
func officeHours(holidays ...string) *BusinessHours {
	b := &BusinessHours{Start: 8 * time.Hour, End: 17 * time.Hour, Holidays: map[string]bool{}}
	for d := time.Monday; d <= time.Friday; d++ {
		b.Days[d] = true
	}
	for _, h := range holidays {
		b.Holidays[h] = true
	}
	return b
}

// everyDay returns a window open every day of the week.
func everyDay(start, end time.Duration) *BusinessHours {
	return &BusinessHours{Days: [7]bool{true, true, true, true, true, true, true}, Start: start, End: end}
}

func TestBusinessHoursAdd(t *testing.T) {
	office := officeHours()
	sundayNight := &BusinessHours{Days: [7]bool{time.Sunday: true}, Start: 2*time.Hour + 29*time.Minute, End: 3*time.Hour + 26*time.Minute}
	tests := []struct {
		name  string
		hours *BusinessHours
		start string
		d     time.Duration
		want  string
	}{
		// The example from the agreement: 30 min on Friday, 1h30 on Monday.
		{"friday 16:30 + 2h ends monday 09:30", office, "2026-06-05 16:30 +02:00", 2 * time.Hour, "2026-06-08 09:30 +02:00"},
		{"inside window", office, "2026-06-08 10:00 +02:00", 3 * time.Hour, "2026-06-08 13:00 +02:00"},
		{"start exactly at opening", office, "2026-06-08 08:00 +02:00", time.Hour, "2026-06-08 09:00 +02:00"},
		{"start exactly at closing counts from next opening", office, "2026-06-08 17:00 +02:00", time.Hour, "2026-06-09 09:00 +02:00"},
		{"ends exactly at closing stays at closing", office, "2026-06-08 16:00 +02:00", time.Hour, "2026-06-08 17:00 +02:00"},
		{"before opening", office, "2026-06-08 06:15 +02:00", 30 * time.Minute, "2026-06-08 08:30 +02:00"},
		{"after closing", office, "2026-06-08 22:00 +02:00", 30 * time.Minute, "2026-06-09 08:30 +02:00"},
		{"saturday starts monday", office, "2026-06-06 11:00 +02:00", 2 * time.Hour, "2026-06-08 10:00 +02:00"},
		{"sunday night starts monday", office, "2026-06-07 23:59 +02:00", time.Minute, "2026-06-08 08:01 +02:00"},
		{"zero inside hours is start", office, "2026-06-08 12:00 +02:00", 0, "2026-06-08 12:00 +02:00"},
		{"zero at opening is start", office, "2026-06-08 08:00 +02:00", 0, "2026-06-08 08:00 +02:00"},
		{"zero at closing is next opening", office, "2026-06-08 17:00 +02:00", 0, "2026-06-09 08:00 +02:00"},
		{"zero on saturday is monday opening", office, "2026-06-06 11:00 +02:00", 0, "2026-06-08 08:00 +02:00"},
		{"negative counts as zero", office, "2026-06-06 11:00 +02:00", -time.Hour, "2026-06-08 08:00 +02:00"},
		{"exactly one business day", office, "2026-06-08 08:00 +02:00", 9 * time.Hour, "2026-06-08 17:00 +02:00"},
		{"one business day plus a minute", office, "2026-06-08 08:00 +02:00", 9*time.Hour + time.Minute, "2026-06-09 08:01 +02:00"},
		// 48h of 9h days: Mon-Fri is 45h, 3h more on the next Monday.
		{"48h business from monday opening", office, "2026-06-08 08:00 +02:00", 48 * time.Hour, "2026-06-15 11:00 +02:00"},
		// Wed 7h, Thu 9h (16), Fri 9h (25), Mon 9h (34), Tue 9h (43), Wed 5h.
		{"48h business from wednesday 10:00", office, "2026-06-10 10:00 +02:00", 48 * time.Hour, "2026-06-17 13:00 +02:00"},
		// Same count across the spring-forward weekend: starts in CET, ends in CEST.
		{"48h business across spring forward", office, "2026-03-25 10:00 +01:00", 48 * time.Hour, "2026-04-01 13:00 +02:00"},
		{"friday to monday across spring forward", office, "2026-03-27 16:00 +01:00", 2 * time.Hour, "2026-03-30 09:00 +02:00"},
		{"friday to monday across fall back", office, "2026-10-23 16:00 +02:00", 2 * time.Hour, "2026-10-26 09:00 +01:00"},
		// Month end: Fri 31 July 15:00-17:00 is 2h, 2h more on Monday 3 August.
		{"month end", office, "2026-07-31 15:00 +02:00", 4 * time.Hour, "2026-08-03 10:00 +02:00"},
		// Year end without holidays: Thu 31 Dec 1h, Fri 1 Jan 2h.
		{"year end", office, "2026-12-31 16:00 +01:00", 3 * time.Hour, "2027-01-01 10:00 +01:00"},
		// Year end with New Year's Day off: Thu 31 Dec 1h, then Monday 4 January.
		{"year end with holiday", officeHours("2027-01-01"), "2026-12-31 16:00 +01:00", 3 * time.Hour, "2027-01-04 10:00 +01:00"},
		// Wed 23 Dec 1h, 24 and 25 are holidays, then the weekend.
		{"christmas holidays", officeHours("2026-12-24", "2026-12-25"), "2026-12-23 16:00 +01:00", 2 * time.Hour, "2026-12-28 09:00 +01:00"},
		{"start on a holiday", officeHours("2026-12-24"), "2026-12-24 10:00 +01:00", time.Hour, "2026-12-25 09:00 +01:00"},
		// Open every day 08-17: the DST Sunday itself is a normal 9h day.
		{"every day: saturday into DST sunday", everyDay(8*time.Hour, 17*time.Hour), "2026-03-28 16:00 +01:00", 2 * time.Hour, "2026-03-29 09:00 +02:00"},
		{"every day: saturday into fall-back sunday", everyDay(8*time.Hour, 17*time.Hour), "2026-10-24 16:00 +02:00", 2 * time.Hour, "2026-10-25 09:00 +01:00"},
		// A window around the change: 01:00-05:00 on 29 March is 3h of real
		// time (01-02 CET, then 03-05 CEST), on 25 October it is 5h.
		{"window over spring forward runs out at close", everyDay(time.Hour, 5*time.Hour), "2026-03-29 01:00 +01:00", 3 * time.Hour, "2026-03-29 05:00 +02:00"},
		{"window over spring forward spills to next day", everyDay(time.Hour, 5*time.Hour), "2026-03-29 01:00 +01:00", 4 * time.Hour, "2026-03-30 02:00 +02:00"},
		{"window over fall back has an extra hour", everyDay(time.Hour, 5*time.Hour), "2026-10-25 01:00 +02:00", 4 * time.Hour, "2026-10-25 04:00 +01:00"},
		{"window over fall back, 5h fills it", everyDay(time.Hour, 5*time.Hour), "2026-10-25 01:00 +02:00", 5 * time.Hour, "2026-10-25 05:00 +01:00"},
		// Open all day every day behaves like the 24/7 clock: Sat 12:00 CET
		// + 24h real time = Sun 13:00 CEST.
		{"all-day window across spring forward", everyDay(0, 24*time.Hour), "2026-03-28 12:00 +01:00", 24 * time.Hour, "2026-03-29 13:00 +02:00"},
		{"all-day window across fall back", everyDay(0, 24*time.Hour), "2026-10-24 12:00 +02:00", 24 * time.Hour, "2026-10-25 11:00 +01:00"},
		// Sundays 02:29-03:26: on 28 March 2027 02:29 does not exist, the
		// window is gone, and counting goes on the Sunday after.
		{"window swallowed by spring forward", sundayNight, "2027-03-21 04:00 +01:00", 30 * time.Minute, "2027-04-04 02:59 +02:00"},
		// On 25 October 2026 02:29 is read as CET (the second 02:29), so the
		// window is 02:29 CET-03:26 CET, 57m.
		{"ambiguous opening on fall back", sundayNight, "2026-10-25 00:58 +02:00", 57 * time.Minute, "2026-10-25 03:26 +01:00"},
		{"ambiguous opening on fall back, spills a week", sundayNight, "2026-10-25 00:58 +02:00", time.Hour, "2026-11-01 02:32 +01:00"},
		// Nil hours: the clock runs 24/7 in real time.
		{"nil is 24/7", nil, "2026-06-05 16:30 +02:00", 2 * time.Hour, "2026-06-05 18:30 +02:00"},
		{"nil across spring forward", nil, "2026-03-28 12:00 +01:00", 48 * time.Hour, "2026-03-30 13:00 +02:00"},
		{"nil across fall back", nil, "2026-10-24 12:00 +02:00", 48 * time.Hour, "2026-10-26 11:00 +01:00"},
		// Invalid hours (no open day) must not hang: they fall back to 24/7.
		{"no open days terminates as 24/7", &BusinessHours{Start: 8 * time.Hour, End: 17 * time.Hour}, "2026-06-05 16:30 +02:00", 2 * time.Hour, "2026-06-05 18:30 +02:00"},
		{"start after end terminates as 24/7", &BusinessHours{Days: [7]bool{1: true}, Start: 17 * time.Hour, End: 8 * time.Hour}, "2026-06-05 16:30 +02:00", 2 * time.Hour, "2026-06-05 18:30 +02:00"},
	}
	loc := cph(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.hours.Add(at(t, tt.start), tt.d, loc)
			want := at(t, tt.want)
			if !got.Equal(want) {
				t.Errorf("Add(%s, %s) = %s, want %s", tt.start, tt.d, got.Format(time.RFC3339), want.Format(time.RFC3339))
			}
			if got.Location() != loc {
				t.Errorf("Add returned location %v, want %v", got.Location(), loc)
			}
		})
	}
}

func TestBusinessHoursAddOtherZones(t *testing.T) {
	// Same office hours read in UTC and in New York (DST on 2026-03-08).
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		loc   *time.Location
		start string
		d     time.Duration
		want  string
	}{
		{"nil location is UTC", nil, "2026-06-05 16:30 +00:00", 2 * time.Hour, "2026-06-08 09:30 +00:00"},
		{"hours are read in loc, not in the start's zone", time.UTC, "2026-06-05 18:30 +02:00", 2 * time.Hour, "2026-06-08 09:30 +00:00"},
		// Fri 6 March 16:00 EST + 2h: 1h Friday, 1h Monday 9 March in EDT.
		{"new york spring forward weekend", ny, "2026-03-06 16:00 -05:00", 2 * time.Hour, "2026-03-09 09:00 -04:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := officeHours().Add(at(t, tt.start), tt.d, tt.loc)
			if want := at(t, tt.want); !got.Equal(want) {
				t.Errorf("Add = %s, want %s", got.Format(time.RFC3339), want.Format(time.RFC3339))
			}
		})
	}
}

func TestBusinessHoursBetween(t *testing.T) {
	office := officeHours()
	tests := []struct {
		name     string
		hours    *BusinessHours
		from, to string
		want     time.Duration
	}{
		{"friday 16:30 to monday 09:30", office, "2026-06-05 16:30 +02:00", "2026-06-08 09:30 +02:00", 2 * time.Hour},
		{"same window", office, "2026-06-08 10:00 +02:00", "2026-06-08 11:15 +02:00", 75 * time.Minute},
		{"equal instants", office, "2026-06-08 10:00 +02:00", "2026-06-08 10:00 +02:00", 0},
		{"weekend only", office, "2026-06-06 09:00 +02:00", "2026-06-07 20:00 +02:00", 0},
		{"night only", office, "2026-06-08 17:00 +02:00", "2026-06-09 08:00 +02:00", 0},
		{"whole week", office, "2026-06-08 00:00 +02:00", "2026-06-15 00:00 +02:00", 45 * time.Hour},
		{"reversed is negative", office, "2026-06-08 09:30 +02:00", "2026-06-05 16:30 +02:00", -2 * time.Hour},
		{"overdue across the weekend", office, "2026-06-08 10:00 +02:00", "2026-06-05 16:00 +02:00", -3 * time.Hour},
		{"holiday does not count", officeHours("2026-12-24", "2026-12-25"), "2026-12-23 16:00 +01:00", "2026-12-28 09:00 +01:00", 2 * time.Hour},
		{"year end", officeHours("2027-01-01"), "2026-12-31 16:00 +01:00", "2027-01-04 10:00 +01:00", 3 * time.Hour},
		{"across spring forward", office, "2026-03-25 10:00 +01:00", "2026-04-01 13:00 +02:00", 48 * time.Hour},
		{"window over spring forward", everyDay(time.Hour, 5*time.Hour), "2026-03-29 00:00 +01:00", "2026-03-29 06:00 +02:00", 3 * time.Hour},
		{"window over fall back", everyDay(time.Hour, 5*time.Hour), "2026-10-25 00:00 +02:00", "2026-10-25 06:00 +01:00", 5 * time.Hour},
		{"nil is real time across fall back", nil, "2026-10-24 12:00 +02:00", "2026-10-26 11:00 +01:00", 48 * time.Hour},
		{"nil reversed is negative", nil, "2026-06-08 11:00 +02:00", "2026-06-08 10:00 +02:00", -time.Hour},
	}
	loc := cph(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.hours.Between(at(t, tt.from), at(t, tt.to), loc); got != tt.want {
				t.Errorf("Between(%s, %s) = %s, want %s", tt.from, tt.to, got, tt.want)
			}
		})
	}
}

func TestBusinessHoursIsOpen(t *testing.T) {
	office := officeHours("2026-12-24")
	tests := []struct {
		at   string
		want bool
	}{
		{"2026-06-08 08:00 +02:00", true},
		{"2026-06-08 07:59 +02:00", false},
		{"2026-06-08 16:59 +02:00", true},
		{"2026-06-08 17:00 +02:00", false},
		{"2026-06-06 12:00 +02:00", false},
		{"2026-12-24 12:00 +01:00", false},
		{"2026-12-23 12:00 +01:00", true},
	}
	loc := cph(t)
	for _, tt := range tests {
		t.Run(tt.at, func(t *testing.T) {
			if got := office.IsOpen(at(t, tt.at), loc); got != tt.want {
				t.Errorf("IsOpen(%s) = %v, want %v", tt.at, got, tt.want)
			}
		})
	}
	var always *BusinessHours
	if !always.IsOpen(at(t, "2026-06-06 03:00 +02:00"), loc) {
		t.Error("nil business hours should always be open")
	}
}

func TestBusinessHoursValidate(t *testing.T) {
	tests := []struct {
		name  string
		hours *BusinessHours
		ok    bool
	}{
		{"nil is 24/7", nil, true},
		{"office hours", officeHours("2026-12-24"), true},
		{"all day", everyDay(0, 24*time.Hour), true},
		{"no open days", &BusinessHours{Start: 8 * time.Hour, End: 17 * time.Hour}, false},
		{"start equals end", everyDay(8*time.Hour, 8*time.Hour), false},
		{"start after end", everyDay(17*time.Hour, 8*time.Hour), false},
		{"end past midnight", everyDay(8*time.Hour, 25*time.Hour), false},
		{"negative start", everyDay(-time.Hour, 8*time.Hour), false},
		{"bad holiday", officeHours("24/12/2026"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.hours.Validate(); (err == nil) != tt.ok {
				t.Errorf("Validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

// TestBusinessHoursRoundTrip checks the property the SLA clock relies on:
// the business time between a start and start+d is d, the deadline is never
// before the start, never later for a smaller d, and lies inside hours or on
// a closing time.
func TestBusinessHoursRoundTrip(t *testing.T) {
	loc := cph(t)
	shapes := map[string]*BusinessHours{
		"office with holidays": officeHours("2026-03-30", "2026-10-26", "2026-12-24", "2026-12-25", "2026-12-31", "2027-01-01"),
		"window over DST":      everyDay(time.Hour, 5*time.Hour),
		"weekend shift":        {Days: [7]bool{time.Saturday: true, time.Sunday: true}, Start: 30 * time.Minute, End: 23*time.Hour + 45*time.Minute},
		"all day":              everyDay(0, 24*time.Hour),
	}
	rng := rand.New(rand.NewPCG(2026, 3))
	base := at(t, "2026-01-01 00:00 +01:00")
	for name, b := range shapes {
		t.Run(name, func(t *testing.T) {
			for i := 0; i < 3000; i++ {
				start := base.Add(time.Duration(rng.Int64N(int64(2 * 365 * 24 * time.Hour))))
				d := time.Duration(rng.Int64N(int64(200 * time.Hour)))
				if i%10 == 0 {
					d = d.Truncate(time.Hour) // land on window edges often
				}
				checkRoundTrip(t, b, start, d, loc)
			}
		})
	}
}

// TestBusinessHoursRoundTripRegressions holds inputs the fuzzer once broke.
func TestBusinessHoursRoundTripRegressions(t *testing.T) {
	loc := cph(t)
	// A Sunday-only window that DST swallows once a year made the closed-day
	// guard give up after ~half a year of counting.
	b := &BusinessHours{Days: [7]bool{time.Sunday: true}, Start: 149 * time.Minute, End: 206 * time.Minute}
	checkRoundTrip(t, b, time.Unix(1792882716, 0), 48*time.Hour+39, loc)
}

func checkRoundTrip(t *testing.T, b *BusinessHours, start time.Time, d time.Duration, loc *time.Location) {
	t.Helper()
	due := b.Add(start, d, loc)
	if got := b.Between(start, due, loc); got != d {
		t.Fatalf("Between(%s, Add(%s, %s) = %s) = %s, want %s", start, start, d, due, got, d)
	}
	if got := b.Between(due, start, loc); got != -d {
		t.Fatalf("Between(%s, %s) = %s, want %s", due, start, got, -d)
	}
	if due.Before(start) {
		t.Fatalf("Add(%s, %s) = %s is before the start", start, d, due)
	}
	if d > 0 {
		if earlier := b.Add(start, d-time.Nanosecond, loc); earlier.After(due) {
			t.Fatalf("Add not monotonic at %s: %s then %s", start, earlier, due)
		}
		// d > 0 ends inside a window or exactly at its close.
		if !b.IsOpen(due, loc) && !b.IsOpen(due.Add(-time.Nanosecond), loc) {
			t.Fatalf("Add(%s, %s) = %s lies outside business hours", start, d, due)
		}
	} else if !b.IsOpen(due, loc) {
		t.Fatalf("Add(%s, 0) = %s is not an open moment", start, due)
	}
}

// FuzzBusinessHoursRoundTrip runs the same property on fuzzed starts,
// durations and window shapes (go test -fuzz=FuzzBusinessHoursRoundTrip).
func FuzzBusinessHoursRoundTrip(f *testing.F) {
	f.Add(int64(1780669800), int64(2*time.Hour), uint8(0b0111110), uint16(8*60), uint16(17*60)) // Fri 16:30 CEST
	f.Add(int64(1774742400), int64(3*time.Hour), uint8(0b1111111), uint16(60), uint16(5*60))    // Sun 29 Mar 01:00 CET
	f.Add(int64(1792882800), int64(48*time.Hour), uint8(0b1000001), uint16(0), uint16(24*60))   // Sun 25 Oct 01:00 CEST
	loc := cph(f)
	f.Fuzz(func(t *testing.T, unix, d int64, days uint8, startMin, endMin uint16) {
		b := &BusinessHours{Start: time.Duration(startMin%1440) * time.Minute, End: time.Duration(endMin%1441) * time.Minute}
		for i := range b.Days {
			b.Days[i] = days&(1<<i) != 0
		}
		if b.Validate() != nil {
			return
		}
		start := time.Unix(unix%(100*365*24*3600), 0) // within 1900-2070-ish
		dur := time.Duration(d % int64(1000*time.Hour))
		if dur < 0 {
			dur = -dur
		}
		checkRoundTrip(t, b, start, dur, loc)
	})
}
