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
