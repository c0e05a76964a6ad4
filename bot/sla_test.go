package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
)

func TestEscalationCardStatesTheAgreement(t *testing.T) {
	due := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	hours := &handoff.BusinessHours{Start: 8 * time.Hour, End: 17 * time.Hour}
	for d := time.Monday; d <= time.Friday; d++ {
		hours.Days[d] = true
	}
	tests := []struct {
		name   string
		hours  *handoff.BusinessHours
		action handoff.SLAActionKind
		want   string
	}{
		{"ContactAroundTheClock", nil, handoff.SLAEscalateContact, "was not contacted within 2 d"},
		{"ContactInBusinessHours", hours, handoff.SLAEscalateContact, "was not contacted within 48 business hours"},
		{"ClaimInBusinessHours", hours, handoff.SLAEscalateClaim, "was not claimed within 2 business hours"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := handoff.DefaultPolicy()
			p.BusinessHours = tc.hours
			l := &handoff.Lead{ID: 1, Company: "Berg ApS", Stage: handoff.StageClaimed}
			m := bot.EscalationCard(l, handoff.SLANotice{Action: tc.action, Due: due, Owner: handoff.Owner{Platform: "slack", UserID: "U1"}}, due.Add(30*time.Minute), p)
			text := m.Sections[0].Text
			if !strings.Contains(text, tc.want) {
				t.Fatalf("text %q does not contain %q", text, tc.want)
			}
		})
	}
}

// weekdays is Monday to Friday 08:00–17:00.
func weekdays() *handoff.BusinessHours {
	hours := &handoff.BusinessHours{Start: 8 * time.Hour, End: 17 * time.Hour}
	for d := time.Monday; d <= time.Friday; d++ {
		hours.Days[d] = true
	}
	return hours
}

func TestFormatAgreed(t *testing.T) {
	tests := []struct {
		name  string
		hours *handoff.BusinessHours
		d     time.Duration
		want  string
	}{
		{"AroundTheClock", nil, 47 * time.Hour, "1 d 23 h"},
		{"BusinessUnderADay", weekdays(), time.Hour + 56*time.Minute, "1 h 56 min"},
		{"BusinessADay", weekdays(), 24 * time.Hour, "24 business hours"},
		{"BusinessMore", weekdays(), 47*time.Hour + 40*time.Minute, "47 business hours"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := handoff.DefaultPolicy()
			p.BusinessHours = tc.hours
			if got := bot.FormatAgreed(tc.d, p); got != tc.want {
				t.Fatalf("FormatAgreed(%s) = %q, want %q", tc.d, got, tc.want)
			}
		})
	}
}

// A claimed card under 48 business hours says how many business hours are
// left, not "1 d 23 h" beside a deadline a week away (the demo's cards).
func TestClaimedCardCountsBusinessHoursLeft(t *testing.T) {
	p := handoff.DefaultPolicy()
	p.BusinessHours, p.ContactWithin = weekdays(), 48*time.Hour
	claimed := time.Date(2026, 11, 23, 9, 23, 0, 0, time.UTC) // a Monday
	due := claimed.Add(7*24*time.Hour - 23*time.Minute)       // Mon 30 Nov 09:00: 7 h 37 min + 4 × 9 h + 1 h = 44 h 37 min of business time
	l := &handoff.Lead{ID: 1, Company: "Berg ApS", Stage: handoff.StageClaimed, ContactDueAt: &due,
		Owner: handoff.Owner{Platform: "slack", UserID: "U1"}, ClaimedAt: &claimed}
	got := bot.DeadlineContext(l, claimed, p)
	if want := "⏱ Contact by Mon 30 Nov 09:00 (44 business hours left)"; len(got) == 0 || got[0] != want {
		t.Fatalf("context = %q, want %q", got, want)
	}
}
