package bot

import (
	"context"
	"fmt"
	"time"

	"github.com/handoff/handoff"
)

// ReminderCard is the private reminder to a lead's owner that its contact
// deadline nears.
func ReminderCard(l *handoff.Lead, now time.Time, p handoff.Policy) Message {
	left := ""
	if l.ContactDueAt != nil {
		left = FormatDuration(p.Between(now, *l.ContactDueAt))
	}
	text := fmt.Sprintf("⏰ Reminder: contact %s within *%s*.", personOrCompany(l), left)
	return Message{
		Summary:  "Reminder: contact " + Escape(leadTitle(l)) + " within " + left,
		Header:   "⏰ Contact " + leadTitle(l) + " soon",
		Sections: []Section{{Text: text, Fields: leadFields(l)}},
		Context:  deadlineContext(l, now, p),
		Buttons:  []Button{button(ActionLogContact, l, "📞 Log contact", StylePrimary)},
		Private:  true,
	}
}

// EscalationCard tells the managers' channel that a lead missed a deadline:
// which lead, whose, which deadline and how late.
func EscalationCard(l *handoff.Lead, n handoff.SLANotice, now time.Time, p handoff.Policy) Message {
	late := FormatDuration(p.Between(n.Due, now))
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
		{Key: "Owner", Value: ownerRef(n.Owner)},
		{Key: "Deadline", Value: clock(n.Due, now, p) + " (" + late + ")"},
		{Key: "Stage", Value: string(l.Stage)},
		{Key: "Score", Value: fmt.Sprint(l.Score)},
	}
	m := Message{
		Summary:  "SLA breach: " + Escape(leadTitle(l)) + " " + what,
		Header:   "🚨 SLA breach: " + leadTitle(l),
		Sections: []Section{{Text: personOrCompany(l) + " " + what + ".", Fields: fields}},
	}
	if p.ReleaseOnBreach && n.Action == handoff.SLAEscalateContact && n.Owner.UserID != "" {
		m.Context = append(m.Context, "The lead went back to the sales channel for a new claim.")
	}
	if l.Stage == handoff.StageSQL || l.Stage == handoff.StageClaimed {
		m.Buttons = []Button{button(ActionReassign, l, "Reassign", StyleDefault)}
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
		return fmt.Sprintf("%d business hours", int(d/time.Hour))
	}
	return FormatDuration(d) + " of business time"
}

func personOrCompany(l *handoff.Lead) string {
	if l.Name != "" && l.Company != "" {
		return "*" + Escape(l.Name) + "* (" + Escape(l.Company) + ")"
	}
	return "*" + Escape(leadTitle(l)) + "*"
}

// remind delivers a handoff.OutboxRemind message: a direct message to the
// owner, unless the lead moved on since it was queued.
func (d *Dispatcher) remind(ctx context.Context, m handoff.OutboxMessage) (string, []handoff.ChatPost, error) {
	lead, err := d.cfg.Store.Lead(ctx, m.LeadID)
	if err != nil {
		return "", nil, notFoundIsPermanent(err)
	}
	if lead.Stage != handoff.StageClaimed || lead.Owner.UserID == "" {
		return "skipped: lead is " + string(lead.Stage), nil, nil
	}
	t, err := d.target(lead.Owner.Platform)
	if err != nil {
		return "", nil, err
	}
	card := ReminderCard(lead, d.cfg.Now(), d.cfg.Policy)
	err = d.call(ctx, t.Platform.Name(), "direct", func(ctx context.Context) error {
		return t.Platform.DirectMessage(ctx, lead.Owner.UserID, card)
	})
	if err != nil {
		return "", nil, fmt.Errorf("remind %s about lead %d: %w", lead.Owner.UserID, lead.ID, err)
	}
	return "sent", nil, nil
}

// fanOutToManagers replaces a message meant for every platform's managers'
// channel with one copy per platform that has one, so that a failure on one
// platform is retried without repeating the others.
func (d *Dispatcher) fanOutToManagers(ctx context.Context, m handoff.OutboxMessage) (string, []handoff.ChatPost, error) {
	var children []handoff.OutboxMessage
	for _, t := range d.cfg.Targets {
		if t.ManagerChannel != "" {
			children = append(children, handoff.OutboxMessage{Kind: m.Kind, LeadID: m.LeadID, Platform: t.Platform.Name(), Payload: m.Payload})
		}
	}
	if err := d.cfg.Store.Enqueue(ctx, d.cfg.Now().UTC(), children...); err != nil {
		return "", nil, err
	}
	return fmt.Sprintf("fanned out to %d", len(children)), nil, nil
}

// escalate delivers a handoff.OutboxEscalate message to the managers'
// channel of every platform that has one.
func (d *Dispatcher) escalate(ctx context.Context, m handoff.OutboxMessage) (string, []handoff.ChatPost, error) {
	return d.postToManagers(ctx, m, func() (Message, error) {
		var n handoff.SLANotice
		if err := decodeJSON(m.Payload, &n); err != nil {
			return Message{}, Permanent(err)
		}
		lead, err := d.cfg.Store.Lead(ctx, m.LeadID)
		if err != nil {
			return Message{}, notFoundIsPermanent(err)
		}
		return EscalationCard(lead, n, d.cfg.Now(), d.cfg.Policy), nil
	})
}

// postToManagers posts the message build returns to the managers' channel
// of m.Platform. A message meant for every platform (m.Platform "" with
// several enabled) is first split into one per platform that has a
// managers' channel, so that a failure on one is retried without repeating
// the others; a platform without one is skipped.
func (d *Dispatcher) postToManagers(ctx context.Context, m handoff.OutboxMessage, build func() (Message, error)) (string, []handoff.ChatPost, error) {
	if m.Platform == "" && len(d.cfg.Targets) > 1 {
		return d.fanOutToManagers(ctx, m)
	}
	t, err := d.target(m.Platform)
	if err != nil {
		return "", nil, err
	}
	if t.ManagerChannel == "" {
		return "skipped: no managers' channel", nil, nil
	}
	msg, err := build()
	if err != nil {
		return "", nil, err
	}
	var id string
	err = d.call(ctx, t.Platform.Name(), "post", func(ctx context.Context) (err error) {
		id, err = t.Platform.Post(ctx, t.ManagerChannel, msg)
		return err
	})
	if err != nil {
		return "", nil, fmt.Errorf("%s %d to %s %s: %w", m.Kind, m.ID, t.Platform.Name(), t.ManagerChannel, err)
	}
	return id, nil, nil
}
