package handoff

import (
	"math"
	"testing"
	"time"
)

func TestDefaultPolicy(t *testing.T) {
	p := DefaultPolicy()
	if p.Location != time.UTC {
		t.Errorf("Location = %v, want UTC", p.Location)
	}
	if p.ClaimWithin != 2*time.Hour || p.ContactWithin != 48*time.Hour {
		t.Errorf("ClaimWithin, ContactWithin = %s, %s, want 2h, 48h", p.ClaimWithin, p.ContactWithin)
	}
	if p.BusinessHours != nil {
		t.Errorf("BusinessHours = %+v, want nil (24/7)", p.BusinessHours)
	}
	if p.DigestSchedule != "0 8 * * MON" {
		t.Errorf("DigestSchedule = %q", p.DigestSchedule)
	}
	if p.Targets.Currency != "DKK" {
		t.Errorf("Currency = %q, want DKK", p.Targets.Currency)
	}
	if p.ReleaseOnBreach || len(p.RemindBefore) != 0 {
		t.Errorf("ReleaseOnBreach, RemindBefore = %v, %v, want false, none", p.ReleaseOnBreach, p.RemindBefore)
	}
	if err := p.Validate(); err != nil {
		t.Errorf("DefaultPolicy().Validate() = %v", err)
	}
}

func TestPolicyDue(t *testing.T) {
	loc := cph(t)
	allDay := DefaultPolicy()
	allDay.Location = loc
	office := allDay
	office.BusinessHours = officeHours("2026-12-24", "2026-12-25")

	tests := []struct {
		name                   string
		policy                 Policy
		sqlAt                  string
		wantClaim, wantContact string
	}{
		// 24/7: plain elapsed time, so 48h over spring forward shows 49h on the wall.
		{"24/7 across spring forward", allDay, "2026-03-28 12:00 +01:00", "2026-03-28 14:00 +01:00", "2026-03-30 13:00 +02:00"},
		{"24/7 across fall back", allDay, "2026-10-24 12:00 +02:00", "2026-10-24 14:00 +02:00", "2026-10-26 11:00 +01:00"},
		{"24/7 claim crosses the change", allDay, "2026-03-29 01:30 +01:00", "2026-03-29 04:30 +02:00", "2026-03-31 02:30 +02:00"},
		{"24/7 year end", allDay, "2026-12-31 23:00 +01:00", "2027-01-01 01:00 +01:00", "2027-01-02 23:00 +01:00"},
		// Business hours: claim 2h, contact 48h = 5 days and 3h of 9h days.
		// Fri 16:30: 0.5h Friday, Mon-Fri 45h (45.5), 2.5h on Monday 15 June.
		{"friday afternoon", office, "2026-06-05 16:30 +02:00", "2026-06-08 09:30 +02:00", "2026-06-15 10:30 +02:00"},
		// Mon 08:00: 48h = Mon-Fri (45h) + 3h next Monday.
		{"monday opening", office, "2026-06-08 08:00 +02:00", "2026-06-08 10:00 +02:00", "2026-06-15 11:00 +02:00"},
		// Saturday: nothing counts until Monday 08:00.
		{"saturday", office, "2026-06-06 10:00 +02:00", "2026-06-08 10:00 +02:00", "2026-06-15 11:00 +02:00"},
		// Wed 23 Dec 15:00: 2h that day; contact: 2h Wed, Mon 28-Thu 31 36h (38),
		// Fri 1 Jan 9h (47), Mon 4 Jan 1h.
		{"christmas and new year", office, "2026-12-23 15:00 +01:00", "2026-12-23 17:00 +01:00", "2027-01-04 09:00 +01:00"},
		// Spring forward weekend between: Fri 27 Mar 10:00 CET, 48h = Fri 7h,
		// Mon-Thu 36h (43), Fri 3 Apr 5h.
		{"business hours across spring forward", office, "2026-03-27 10:00 +01:00", "2026-03-27 12:00 +01:00", "2026-04-03 13:00 +02:00"},
		// Fall back weekend between: Fri 23 Oct 10:00 CEST.
		{"business hours across fall back", office, "2026-10-23 10:00 +02:00", "2026-10-23 12:00 +02:00", "2026-10-30 13:00 +01:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sqlAt := at(t, tt.sqlAt)
			if got, want := tt.policy.ClaimDue(sqlAt), at(t, tt.wantClaim); !got.Equal(want) {
				t.Errorf("ClaimDue = %s, want %s", got.Format(time.RFC3339), want.Format(time.RFC3339))
			}
			if got, want := tt.policy.ContactDue(sqlAt), at(t, tt.wantContact); !got.Equal(want) {
				t.Errorf("ContactDue = %s, want %s", got.Format(time.RFC3339), want.Format(time.RFC3339))
			}
			if got := tt.policy.Between(sqlAt, tt.policy.ContactDue(sqlAt)); got != tt.policy.ContactWithin {
				t.Errorf("Between(sqlAt, ContactDue) = %s, want %s", got, tt.policy.ContactWithin)
			}
		})
	}
}

func TestPolicyNilLocationIsUTC(t *testing.T) {
	p := DefaultPolicy()
	p.Location = nil
	p.BusinessHours = officeHours()
	// Fri 16:30 UTC + 2h of 08-17 UTC = Mon 09:30 UTC.
	got := p.ClaimDue(at(t, "2026-06-05 16:30 +00:00"))
	if want := at(t, "2026-06-08 09:30 +00:00"); !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("ClaimDue = %s, want %s in UTC", got, want)
	}
}

func TestPolicyContactReminders(t *testing.T) {
	p := DefaultPolicy()
	p.Location = cph(t)
	p.BusinessHours = officeHours()
	p.RemindBefore = []time.Duration{12 * time.Hour, time.Hour}
	// SQL Mon 8 June 08:00, due Mon 15 June 11:00. 12h of business time
	// before is 36h after: Mon-Thu 36h ends Thu 11 June 17:00. 1h before is
	// Mon 15 June 10:00.
	got := p.ContactReminders(at(t, "2026-06-08 08:00 +02:00"))
	want := []string{"2026-06-11 17:00 +02:00", "2026-06-15 10:00 +02:00"}
	if len(got) != len(want) {
		t.Fatalf("ContactReminders = %v, want %v", got, want)
	}
	for i := range want {
		if w := at(t, want[i]); !got[i].Equal(w) {
			t.Errorf("reminder %d = %s, want %s", i, got[i].Format(time.RFC3339), w.Format(time.RFC3339))
		}
	}

	p.RemindBefore = []time.Duration{48 * time.Hour, 0}
	if got := p.ContactReminders(at(t, "2026-06-08 08:00 +02:00")); len(got) != 0 {
		t.Errorf("out-of-range reminders should be skipped, got %v", got)
	}
}

func TestPolicyBetween(t *testing.T) {
	p := DefaultPolicy()
	p.Location = cph(t)
	p.BusinessHours = officeHours()
	due := at(t, "2026-06-08 09:30 +02:00")
	tests := []struct {
		name string
		now  string
		want time.Duration
	}{
		{"time left over the weekend", "2026-06-05 16:30 +02:00", 2 * time.Hour},
		{"due now", "2026-06-08 09:30 +02:00", 0},
		{"late by business time", "2026-06-08 11:00 +02:00", -90 * time.Minute},
		{"late overnight counts only hours", "2026-06-09 08:30 +02:00", -(7*time.Hour + 30*time.Minute + 30*time.Minute)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.Between(at(t, tt.now), due); got != tt.want {
				t.Errorf("Between(now, due) = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestPolicyValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Policy)
		ok     bool
	}{
		{"default", func(*Policy) {}, true},
		{"full", func(p *Policy) {
			p.BusinessHours = officeHours("2026-12-24")
			p.RemindBefore = []time.Duration{12 * time.Hour, time.Hour}
			p.Targets = Targets{SQLsPerMonth: 20, CustomersPerMonth: 5, AvgDealSize: 40000, Currency: "DKK"}
		}, true},
		{"zero claim", func(p *Policy) { p.ClaimWithin = 0 }, false},
		{"negative contact", func(p *Policy) { p.ContactWithin = -time.Hour }, false},
		{"claim after contact", func(p *Policy) { p.ClaimWithin = 72 * time.Hour }, false},
		{"reminder not less than contact", func(p *Policy) { p.RemindBefore = []time.Duration{48 * time.Hour} }, false},
		{"reminder zero", func(p *Policy) { p.RemindBefore = []time.Duration{0} }, false},
		{"reminders ascending", func(p *Policy) { p.RemindBefore = []time.Duration{time.Hour, 12 * time.Hour} }, false},
		{"reminders duplicated", func(p *Policy) { p.RemindBefore = []time.Duration{time.Hour, time.Hour} }, false},
		{"no open days", func(p *Policy) { p.BusinessHours = &BusinessHours{Start: time.Hour, End: 2 * time.Hour} }, false},
		{"negative target", func(p *Policy) { p.Targets.SQLsPerMonth = -1 }, false},
		{"NaN deal size", func(p *Policy) { p.Targets.AvgDealSize = math.NaN() }, false},
		{"lowercase currency", func(p *Policy) { p.Targets.Currency = "dkk" }, false},
		{"empty digest", func(p *Policy) { p.DigestSchedule = "" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := DefaultPolicy()
			tt.modify(&p)
			if err := p.Validate(); (err == nil) != tt.ok {
				t.Errorf("Validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}
