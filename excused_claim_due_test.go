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

// TestLeavingTheSQLStageKeepsTheClaimDeadlineTheClockHeld: an unclaimed
// SQL that leaves the SQL stage (a claim, a manager's reassign, which
// enters claimed, a contact, a loss, a return, a win) keeps the claim
// deadline the SLA clock held it to then (ClaimDueAtNow): under
// sla.excuse_system_delay, one whose card has not been shown in its SQL
// cycle and whose stored deadline passed without an escalation keeps the
// deadline moved on as if the card were shown at the change, on a 24/7
// clock and in business hours (the claim window counted from the change,
// over the weekend). Any other keeps the stored one. No later reading
// moves it again, and a claim so kept is in time.
func TestLeavingTheSQLStageKeepsTheClaimDeadlineTheClockHeld(t *testing.T) {
	loc := cph(t)
	ptr := func(v time.Time) *time.Time { return &v }
	type clock struct {
		name         string
		p            Policy
		sqlAt, due   time.Time // the SQL time and its stored claim deadline
		before, past time.Time // a change before the deadline and one past it
		moved        time.Time // where the clock holds the deadline at past, excused
	}
	excusing := DefaultPolicy()
	excusing.ExcuseSystemDelay = true
	office := excusing
	office.BusinessHours, office.Location = officeHours(), loc
	clocks := []clock{
		{"24/7", excusing, at(t, "2026-11-20 09:00 +00:00"), at(t, "2026-11-20 11:00 +00:00"),
			at(t, "2026-11-20 10:59 +00:00"), at(t, "2026-11-20 12:00 +00:00"), at(t, "2026-11-20 14:00 +00:00")},
		// Friday 16:00, two business hours: Monday 09:00. Changed at
		// Monday 16:30, the window from then runs to Tuesday 09:30.
		{"office hours", office, at(t, "2026-11-20 16:00 +01:00"), at(t, "2026-11-23 09:00 +01:00"),
			at(t, "2026-11-23 08:30 +01:00"), at(t, "2026-11-23 16:30 +01:00"), at(t, "2026-11-24 09:30 +01:00")},
	}
	type exit struct {
		name string
		do   func(l *Lead, at time.Time, p Policy) bool
	}
	move := func(to Stage) func(*Lead, time.Time, Policy) bool {
		return func(l *Lead, at time.Time, p Policy) bool {
			plan, err := PlanTransition(l.Stage, l.Reached, to)
			if err != nil {
				t.Fatal(err)
			}
			l.EnterStages(plan, at, "test", nil, p)
			return true
		}
	}
	exits := []exit{
		{"claim", func(l *Lead, at time.Time, p Policy) bool {
			_, ok := l.Claim(Owner{Platform: "slack", UserID: "U1"}, at, p, "slack:U1")
			return ok
		}},
		{"reassign", move(StageClaimed)},
		{"contacted", move(StageContacted)},
		{"lost", move(StageLost)},
		{"recycled", move(StageRecycled)},
		{"won", move(StageWon)},
	}
	for _, c := range clocks {
		plain := c.p
		plain.ExcuseSystemDelay = false
		shownSince := c.sqlAt.Add(time.Minute)
		shownEarlier := c.sqlAt.Add(-24 * time.Hour)
		cases := []struct {
			name     string
			p        Policy
			shown    *time.Time
			escalate bool
			at       time.Time
			want     time.Time
		}{
			{"never shown, excused", c.p, nil, false, c.past, c.moved},
			{"shown in an earlier cycle, excused", c.p, &shownEarlier, false, c.past, c.moved},
			{"never shown, without the excuse", plain, nil, false, c.past, c.due},
			{"shown in this cycle", c.p, &shownSince, false, c.past, c.due},
			{"escalated already", c.p, nil, true, c.past, c.due},
			{"before the deadline", c.p, nil, false, c.before, c.due},
		}
		for _, e := range exits {
			for _, tc := range cases {
				t.Run(c.name+"/"+e.name+"/"+tc.name, func(t *testing.T) {
					l := &Lead{Stage: StageSQL, Reached: StageSQL.Rank(), SQLAt: ptr(c.sqlAt), ClaimDueAt: ptr(c.due),
						ContactDueAt: ptr(tc.p.ContactDue(c.sqlAt)), ShownAt: tc.shown, UpdatedAt: c.sqlAt}
					if tc.escalate {
						l.ClaimEscalatedAt, l.SLABreached = ptr(c.due), true
					}
					held := l.ClaimDueAtNow(tc.at, tc.p)
					if !e.do(l, tc.at, tc.p) {
						t.Fatal("the change did not happen")
					}
					if l.ClaimDueAt == nil || !l.ClaimDueAt.Equal(tc.want) || !l.ClaimDueAt.Equal(*held) {
						t.Fatalf("claim due %v after the change; want %s, as the clock held it then (%s)", l.ClaimDueAt, tc.want, held)
					}
					if later := l.ClaimDueAtNow(tc.at.Add(72*time.Hour), tc.p); later == nil || !later.Equal(tc.want) {
						t.Errorf("read three days later, the claim deadline is %v, want %s", later, tc.want)
					}
					if l.ClaimedAt != nil && l.ClaimedAt.After(*l.ClaimDueAt) != l.SLABreached {
						t.Errorf("claimed at %s against a deadline %s, yet breached %v", l.ClaimedAt, l.ClaimDueAt, l.SLABreached)
					}
				})
			}
		}
	}
}
