package handoff

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestExcusedClaimDueIsTheWindowFromTheShowing: the claim deadline the
// excuse of the system's delay moves an SQL to, shown (or, for the SLA
// clock, not yet shown) at shownAt, is the claim window counted from
// shownAt, whatever the SQL time before it: in business time the delay
// and the window add up to the window from the showing. So the clock
// holds every SQL it excuses at now to one deadline, ClaimDue(now), and
// storage's OpenSQLs orders them by it in SQL.
func TestExcusedClaimDueIsTheWindowFromTheShowing(t *testing.T) {
	loc := cph(t)
	shapes := map[string]*BusinessHours{
		"24/7":                 nil,
		"office with holidays": officeHours("2026-03-30", "2026-10-26", "2026-12-24", "2026-12-25", "2026-12-31", "2027-01-01"),
		"window over DST":      everyDay(time.Hour, 5*time.Hour),
		"weekend shift":        {Days: [7]bool{time.Saturday: true, time.Sunday: true}, Start: 30 * time.Minute, End: 23*time.Hour + 45*time.Minute},
	}
	rng := rand.New(rand.NewPCG(2026, 12))
	base := at(t, "2026-01-01 00:00 +01:00")
	for name, b := range shapes {
		t.Run(name, func(t *testing.T) {
			for i := range 3000 {
				p := Policy{ExcuseSystemDelay: true, BusinessHours: b, Location: loc,
					ClaimWithin: time.Duration(1+rng.Int64N(16*4)) * 15 * time.Minute}
				sqlAt := base.Add(time.Duration(rng.Int64N(int64(2 * 365 * 24 * time.Hour))))
				delay := time.Duration(rng.Int64N(int64(100 * time.Hour)))
				if i%10 == 0 {
					delay = delay.Truncate(time.Hour) // land on window edges often
				}
				shownAt := sqlAt.Add(delay)
				if got, want := p.ExcusedClaimDue(sqlAt, shownAt), p.ClaimDue(shownAt); !got.Equal(want) {
					t.Fatalf("claim within %s: ExcusedClaimDue(%s, %s) = %s, want ClaimDue(%s) = %s",
						p.ClaimWithin, sqlAt, shownAt, got, shownAt, want)
				}
			}
		})
	}
}
