package bot

import (
	"fmt"
	"time"

	"github.com/handoff/handoff"
)

// ReminderCard is the private reminder to a lead's owner that its contact
// deadline nears.
func ReminderCard(l *handoff.Lead, now time.Time, p handoff.Policy) Message {
	left := ""
	if l.ContactDueAt != nil {
		left = FormatAgreed(p.Between(now, *l.ContactDueAt), p)
	}
	text := fmt.Sprintf("⏰ Reminder: contact %s within *%s*.", personOrCompany(l), left)
	return Message{
		Summary:  "Reminder: contact " + Escape(LeadTitle(l)) + " within " + left,
		Header:   "⏰ Contact " + LeadTitle(l) + " soon",
		Sections: []Section{{Text: text, Fields: LeadFields(l)}},
		Context:  DeadlineContext(l, now, p),
		Buttons:  []Button{button(ActionLogContact, l, "📞 Log contact", StylePrimary)},
		Private:  true,
	}
}

// EscalationCard tells the managers' channel that a lead missed a deadline:
// which lead, whose, which deadline and how late.
func EscalationCard(l *handoff.Lead, n handoff.SLANotice, now time.Time, p handoff.Policy) Message {
	late := FormatAgreed(p.Between(n.Due, now), p)
	if now.Sub(n.Due) < time.Minute {
		late = "just now"
	} else {
		late += " late"
	}
	var what string
	switch n.Action {
	case handoff.SLAEscalateClaim:
		what = "was not claimed within " + agreedTime(p.ClaimWithin, p)
	default:
		what = "was not contacted within " + agreedTime(p.ContactWithin, p)
	}
	fields := []Field{
		{Key: "Owner", Value: OwnerRef(n.Owner)},
		{Key: "Deadline", Value: Clock(n.Due, now, p) + " (" + late + ")"},
		{Key: "Stage", Value: string(l.Stage)},
		{Key: "Score", Value: fmt.Sprint(l.Score)},
	}
	m := Message{
		Summary:  "SLA breach: " + Escape(LeadTitle(l)) + " " + what,
		Header:   "🚨 SLA breach: " + LeadTitle(l),
		Sections: []Section{{Text: personOrCompany(l) + " " + what + ".", Fields: fields}},
	}
	if p.ReleaseOnBreach && n.Action == handoff.SLAEscalateContact && n.Owner.UserID != "" {
		m.Context = append(m.Context, "The lead went back to the sales channel for a new claim.")
	}
	if l.Stage == handoff.StageSQL || l.Stage == handoff.StageClaimed {
		m.Buttons = reassignButton(l)
	}
	return m
}

// agreedTime writes a duration of the agreement as the agreement counts
// it: "48 business hours" with business hours, "2 d" around the clock.
func agreedTime(d time.Duration, p handoff.Policy) string {
	if p.BusinessHours == nil {
		return FormatDuration(d)
	}
	if d%time.Hour == 0 {
		return Count(int(d/time.Hour), "business hour", "business hours")
	}
	return FormatDuration(d) + " of business time"
}

func personOrCompany(l *handoff.Lead) string {
	if l.Name != "" && l.Company != "" {
		return "*" + Escape(l.Name) + "* (" + Escape(l.Company) + ")"
	}
	return "*" + Escape(LeadTitle(l)) + "*"
}
