package handoff

import (
	"errors"
	"fmt"
	"time"
)

// holidayLayout is the layout of BusinessHours.Holidays keys.
const holidayLayout = "2006-01-02"

// Validate reports why b cannot be used as business hours, or nil when it
// can. A nil *BusinessHours (24/7) is valid.
func (b *BusinessHours) Validate() error {
	if b == nil {
		return nil
	}
	var errs []error
	open := false
	for _, d := range b.Days {
		open = open || d
	}
	if !open {
		errs = append(errs, errors.New("business hours: no open days"))
	}
	if b.Start < 0 || b.Start >= 24*time.Hour {
		errs = append(errs, fmt.Errorf("business hours: start %s is outside 00:00-23:59", b.Start))
	}
	if b.End <= 0 || b.End > 24*time.Hour {
		errs = append(errs, fmt.Errorf("business hours: end %s is outside 00:01-24:00", b.End))
	}
	if b.Start >= b.End {
		errs = append(errs, fmt.Errorf("business hours: start %s must be before end %s", b.Start, b.End))
	}
	for day := range b.Holidays {
		if _, err := time.Parse(holidayLayout, day); err != nil {
			errs = append(errs, fmt.Errorf("business hours: holiday %q is not a YYYY-MM-DD date", day))
		}
	}
	return errors.Join(errs...)
}

// IsOpen reports whether t falls inside an open window of b, read in loc
// (nil loc means UTC). Windows are half-open: the opening minute is inside,
// the closing minute is not. A nil b is always open.
func (b *BusinessHours) IsOpen(t time.Time, loc *time.Location) bool {
	if b == nil || b.Validate() != nil {
		return true
	}
	loc = locOrUTC(loc)
	open, close, ok := b.window(t.In(loc), loc)
	return ok && !t.Before(open) && t.Before(close)
}

// Add returns start plus d of business time: only time inside open windows
// (open weekdays, Start to End local wall clock, not on holidays) counts. The
// result is expressed in loc (nil loc means UTC).
//
// Boundary choices:
//   - A start outside hours begins counting at the next opening, so d=0
//     returns start itself when it is inside hours and the next opening
//     otherwise. Start exactly at closing time is outside hours.
//   - A count that runs out exactly at closing time ends at that closing time
//     (Friday 16:00 + 1h with 08:00-17:00 is Friday 17:00, not Monday 08:00).
//   - A negative d counts as zero.
//
// Windows are built per local date with time.Date, so a day that gains or
// loses an hour to a DST change has a correspondingly longer or shorter
// window; durations are real elapsed time.
//
// A nil b means 24/7 and Add returns start.Add(d). Business hours that fail
// Validate (for example with no open day) are treated the same way, so Add
// always terminates; reject them at load time.
func (b *BusinessHours) Add(start time.Time, d time.Duration, loc *time.Location) time.Time {
	loc = locOrUTC(loc)
	if d < 0 {
		d = 0
	}
	if b == nil || b.Validate() != nil {
		return start.Add(d).In(loc)
	}
	t := start.In(loc)
	y, m, dd := t.Date()
	// Valid hours have an open weekday, so a run of closed days is at most
	// 6 ordinary ones, plus every holiday, plus a few weeks whose only window
	// a DST change swallowed. A longer run means something is off, and we
	// stop rather than spin.
	maxClosed := len(b.Holidays) + 4*7
	closed := 0
	for i, left := 0, d; ; i++ {
		day := time.Date(y, m, dd+i, 12, 0, 0, 0, loc)
		open, close, ok := b.window(day, loc)
		if !ok {
			if closed++; closed > maxClosed {
				return start.Add(d).In(loc)
			}
			continue
		}
		closed = 0
		if t.Before(open) {
			t = open
		}
		if !t.Before(close) {
			continue
		}
		avail := close.Sub(t)
		if left <= avail {
			return t.Add(left)
		}
		left -= avail
		t = close
	}
}

// Between returns the business time elapsed from from to to, read in loc
// (nil loc means UTC): the total overlap of [from, to) with the open windows.
// It is negative when to is before from, so Between(now, due) is the time
// left and goes negative once a deadline has passed.
//
// A nil b, or one that fails Validate, means 24/7: to.Sub(from).
// For valid hours, Between(start, Add(start, d)) == d for every d >= 0.
func (b *BusinessHours) Between(from, to time.Time, loc *time.Location) time.Duration {
	if b == nil || b.Validate() != nil {
		return to.Sub(from)
	}
	if to.Before(from) {
		return -b.Between(to, from, loc)
	}
	loc = locOrUTC(loc)
	from, to = from.In(loc), to.In(loc)
	y, m, dd := from.Date()
	ty, tm, td := to.Date()
	var total time.Duration
	for i := 0; ; i++ {
		day := time.Date(y, m, dd+i, 12, 0, 0, 0, loc)
		if open, close, ok := b.window(day, loc); ok {
			lo, hi := laterTime(open, from), earlierTime(close, to)
			if hi.After(lo) {
				total += hi.Sub(lo)
			}
		}
		if dy, dm, dd := day.Date(); dy == ty && dm == tm && dd == td {
			return total
		}
	}
}

// window returns the open window of the local date of day, and false when
// that date is closed (not an open weekday, a holiday, or a window that a DST
// change has reduced to nothing).
func (b *BusinessHours) window(day time.Time, loc *time.Location) (open, close time.Time, ok bool) {
	if !b.Days[day.Weekday()] || b.Holidays[day.Format(holidayLayout)] {
		return time.Time{}, time.Time{}, false
	}
	y, m, d := day.Date()
	open, close = wallClock(y, m, d, b.Start, loc), wallClock(y, m, d, b.End, loc)
	return open, close, close.After(open)
}

// wallClock returns the instant at which the clocks in loc show since-midnight
// on the given date. It builds the time with time.Date rather than adding to
// midnight, so DST changes earlier in the day do not shift it; 24h means the
// following midnight.
func wallClock(y int, m time.Month, d int, since time.Duration, loc *time.Location) time.Time {
	h := int(since / time.Hour)
	mi := int(since % time.Hour / time.Minute)
	s := int(since % time.Minute / time.Second)
	ns := int(since % time.Second)
	return time.Date(y, m, d, h, mi, s, ns, loc)
}

func locOrUTC(loc *time.Location) *time.Location {
	if loc == nil {
		return time.UTC
	}
	return loc
}

func laterTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlierTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
