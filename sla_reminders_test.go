package handoff_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/handoff/handoff"
)

// With business hours, the claim deadline moves by the system's delay
// counted as the SLA clock counts: the closed hours during which the card
// was late cost the reps nothing, so they excuse nothing, and the excused
// deadline stays inside business hours.
func TestExcusedClaimDueInBusinessHours(t *testing.T) {
	loc, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		t.Fatal(err)
	}
	office := &handoff.BusinessHours{Start: 8 * time.Hour, End: 17 * time.Hour}
	for d := time.Monday; d <= time.Friday; d++ {
		office.Days[d] = true
	}
	p := handoff.DefaultPolicy()
	p.Location = loc
	p.BusinessHours = office
	p.ExcuseSystemDelay = true
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		name               string
		sqlAt, shown, want string
	}{
		{"late within hours", "2026-11-23 10:00", "2026-11-23 10:45", "2026-11-23 12:45"},
		// 10 minutes of the 70 were business time: the deadline moves 10 minutes.
		{"late across closing", "2026-11-20 16:50", "2026-11-20 18:00", "2026-11-23 10:00"},
		// Chat down over the weekend: 30 minutes of business time were lost.
		{"late over a weekend", "2026-11-20 16:30", "2026-11-23 08:00", "2026-11-23 10:00"},
	} {
		got := p.ExcusedClaimDue(at(tc.sqlAt), at(tc.shown))
		if want := at(tc.want); !got.Equal(want) {
			t.Errorf("%s: SQL %s, shown %s: claim due %s (open: %v), want %s",
				tc.name, tc.sqlAt, tc.shown, got.In(loc).Format("Mon 2006-01-02 15:04"), office.IsOpen(got.Add(-time.Minute), loc), want.Format("Mon 2006-01-02 15:04"))
		}
	}
}

// The reminders come before the contact deadline the lead is held to (the
// one stored on it), also after the agreement changed: a lead claimed
// under contact_within 24h keeps its deadline at +24h when the agreement
// becomes 48h, and its owner must still be reminded 1h before it (+23h).
// The clock computes the reminders from the new agreement (+36h, +47h),
// past the lead's deadline, so the 1h reminder never comes.
func TestRemindersFollowTheLeadsDeadlineAfterAgreementChange(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	h := func(n float64) time.Time { return t0.Add(time.Duration(n * float64(time.Hour))) }
	for _, tc := range []struct {
		name       string
		old, new   time.Duration
		ticks      []float64
		wantRemind []float64 // the hours at which a tick must remind
		wantBreach float64
	}{
		{"contact within 24h becomes 48h", 24 * time.Hour, 48 * time.Hour, []float64{1, 12, 22.9, 23, 24}, []float64{12, 23}, 24},
		{"contact within 48h becomes 24h", 48 * time.Hour, 24 * time.Hour, []float64{1, 36, 46.9, 47, 48}, []float64{36, 47}, 48},
	} {
		t.Run(tc.name, func(t *testing.T) {
			oldP := slaPolicy(false)
			oldP.ContactWithin = tc.old
			l := sqlLead(t, oldP, t0)
			claimed := h(0.5)
			l.Stage, l.Owner, l.ClaimedAt = handoff.StageClaimed, handoff.Owner{Platform: "slack", UserID: "U1"}, &claimed
			newP := slaPolicy(false)
			newP.ContactWithin = tc.new
			var reminded []float64
			breach := 0.0
			for _, n := range tc.ticks {
				for _, a := range l.TickSLA(h(n), newP) {
					switch a.Kind {
					case handoff.SLARemind:
						reminded = append(reminded, n)
					case handoff.SLAEscalateContact:
						breach = n
					}
				}
			}
			if fmt.Sprint(reminded) != fmt.Sprint(tc.wantRemind) || breach != tc.wantBreach {
				t.Errorf("lead due at +%v: reminded at %v h, contact escalated at +%vh; want reminders at %v h, escalation at +%vh",
					l.ContactDueAt.Sub(t0), reminded, breach, tc.wantRemind, tc.wantBreach)
			}
		})
	}
}

// Only the latest passed reminder is worth sending, and only one that
// fell due after the claim. With reminders at +36h and +47h, a lead
// claimed at +40h whose clock next ticks at +47.5h (the SLA clock was
// down meanwhile) must get the +47h reminder, which fell due after the
// claim; the clock judges the stale +36h one instead and sends nothing,
// and the lead is escalated at +48h without its owner ever being reminded.
func TestLatestReminderAfterTheClaimIsSentAfterDowntime(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	h := func(n float64) time.Time { return t0.Add(time.Duration(n * float64(time.Hour))) }
	p := slaPolicy(false)
	l := sqlLead(t, p, t0)
	claimed := h(40)
	l.Stage, l.Owner, l.ClaimedAt = handoff.StageClaimed, handoff.Owner{Platform: "slack", UserID: "U1"}, &claimed
	var kinds []string
	for _, a := range l.TickSLA(h(47.5), p) {
		kinds = append(kinds, string(a.Kind)+"@"+a.Due.Sub(t0).String())
	}
	if fmt.Sprint(kinds) != "[remind@47h0m0s]" {
		t.Errorf("claimed at +40h, first tick at +47.5h: actions %v, want [remind@47h0m0s]", kinds)
	}
}
