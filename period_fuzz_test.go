package handoff_test

import (
	"testing"
	"time"

	"github.com/handoff/handoff"
)

// FuzzParsePeriod feeds arbitrary period names to the parser: it must
// never panic, and an accepted period must have a label and end after it
// starts.
func FuzzParsePeriod(f *testing.F) {
	for _, s := range []string{"month", "last-week", "2026-11", "2026-Q4", "2026-W53", "2026", "2026-W00", "99999-Q9", ""} {
		f.Add(s)
	}
	loc, _ := time.LoadLocation("Europe/Copenhagen")
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, loc)
	f.Fuzz(func(t *testing.T, s string) {
		p, err := handoff.ParsePeriod(s, now, loc)
		if err != nil {
			if handoff.ErrorCode(err) != handoff.EINVALID {
				t.Fatalf("%q: error code %s, want invalid", s, handoff.ErrorCode(err))
			}
			return
		}
		if p.Label == "" || !p.End.After(p.Start) {
			t.Fatalf("%q: accepted %+v", s, p)
		}
	})
}
