package bot

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/handoff/handoff"
)

// Action ids carried by the cards' buttons; a click comes back with one of
// them and the lead id as value.
const (
	ActionClaim       = "lead.claim"
	ActionNotAFit     = "lead.not_a_fit"
	ActionLogContact  = "lead.contact"
	ActionRelease     = "lead.release"
	ActionOpportunity = "lead.opportunity"
	ActionWon         = "lead.won"
	ActionLost        = "lead.lost"
	ActionRecycle     = "lead.recycle"
	ActionReassign    = "lead.reassign"
)

// LeadCard returns the shared channel card for the lead's current stage:
// NewLeadCard for an unclaimed SQL, ClaimedCard, ContactedCard (also for an
// opportunity) or ClosedCard.
func LeadCard(l *handoff.Lead, now time.Time, p handoff.Policy) Message {
	switch l.Stage {
	case handoff.StageClaimed:
		return ClaimedCard(l, now, p)
	case handoff.StageContacted, handoff.StageOpportunity:
		return ContactedCard(l, now, p)
	case handoff.StageWon, handoff.StageLost, handoff.StageRecycled:
		return ClosedCard(l, now, p)
	}
	return NewLeadCard(l, now, p)
}

// NewLeadCard is the card of a new, unclaimed SQL: who the lead is, where it
// came from, its score, the SLA in the policy's time zone, and the Claim and
// Not a fit buttons.
func NewLeadCard(l *handoff.Lead, now time.Time, p handoff.Policy) Message {
	m := Message{
		Summary:  "New SQL: " + Escape(leadTitle(l)),
		Header:   "🆕 New SQL: " + leadTitle(l),
		Sections: []Section{{Text: personLine(l), Fields: leadFields(l)}},
	}
	if sla := slaLine(l, now, p); sla != "" {
		m.Context = append(m.Context, sla)
	}
	m.Buttons = []Button{
		button(ActionClaim, l, "✋ Claim", StylePrimary),
		button(ActionNotAFit, l, "Not a fit", StyleDefault),
	}
	return m
}

// ClaimedCard is the card of a claimed lead: the owner named, the contact
// deadline, and the Log contact, Release and Reassign buttons.
func ClaimedCard(l *handoff.Lead, now time.Time, p handoff.Policy) Message {
	text := "Claimed by " + ownerRef(l.Owner)
	if l.ClaimedAt != nil {
		text += " · " + clock(*l.ClaimedAt, now, p)
	}
	m := Message{
		Summary:  fmt.Sprintf("%s was claimed by %s", Escape(leadTitle(l)), ownerRef(l.Owner)),
		Header:   "✋ Claimed: " + leadTitle(l),
		Sections: []Section{{Text: personLine(l), Fields: leadFields(l)}, {Text: text}},
		Context:  deadlineContext(l, now, p),
	}
	m.Buttons = []Button{
		button(ActionLogContact, l, "📞 Log contact", StylePrimary),
		button(ActionRelease, l, "Release", StyleDefault),
		button(ActionReassign, l, "Reassign", StyleDefault),
	}
	return m
}

// ContactedCard is the card of a lead in first contact or opportunity: who
// made contact and when, and the Opportunity (until reached), Won, Lost,
// Recycle and Reassign buttons.
func ContactedCard(l *handoff.Lead, now time.Time, p handoff.Policy) Message {
	text := "Contacted by " + ownerRef(l.Owner)
	if l.ContactedAt != nil {
		text += " · " + clock(*l.ContactedAt, now, p)
	}
	header := "📞 Contacted: " + leadTitle(l)
	if l.Stage == handoff.StageOpportunity {
		header = "💡 Opportunity: " + leadTitle(l)
		text = "Opportunity worked by " + ownerRef(l.Owner)
	}
	m := Message{
		Summary:  fmt.Sprintf("%s: %s", Escape(leadTitle(l)), l.Stage),
		Header:   header,
		Sections: []Section{{Text: personLine(l), Fields: leadFields(l)}, {Text: text}},
	}
	if l.SLABreached {
		m.Context = append(m.Context, "⚠️ The SLA was breached for this lead.")
	}
	if l.Stage != handoff.StageOpportunity {
		m.Buttons = append(m.Buttons, button(ActionOpportunity, l, "💡 Opportunity", StyleDefault))
	}
	m.Buttons = append(m.Buttons,
		button(ActionWon, l, "🏆 Won", StylePrimary),
		button(ActionLost, l, "Lost", StyleDanger),
		button(ActionRecycle, l, "♻️ Recycle", StyleDefault),
		button(ActionReassign, l, "Reassign", StyleDefault),
	)
	return m
}

// ClosedCard is the card of a lead that left sales' hands: won (with the
// amount in the policy's currency), lost or recycled (with the reason). It
// has no buttons.
func ClosedCard(l *handoff.Lead, now time.Time, p handoff.Policy) Message {
	var m Message
	switch l.Stage {
	case handoff.StageWon:
		amount := FormatAmount(l.AmountMinor, p.Targets.Currency)
		m = Message{
			Summary:  fmt.Sprintf("%s was won: %s", Escape(leadTitle(l)), amount),
			Header:   "🏆 Won: " + leadTitle(l),
			Sections: []Section{{Text: personLine(l)}, {Fields: []Field{{Key: "Won by", Value: ownerRef(l.Owner)}, {Key: "Amount", Value: amount}}}},
		}
	case handoff.StageLost:
		m = Message{
			Summary:  Escape(leadTitle(l)) + " was lost",
			Header:   "Lost: " + leadTitle(l),
			Sections: []Section{{Text: personLine(l)}, {Fields: []Field{{Key: "Owner", Value: ownerRef(l.Owner)}, {Key: "Reason", Value: orDash(l.Reason)}}}},
		}
	default:
		m = Message{
			Summary:  Escape(leadTitle(l)) + " went back to marketing",
			Header:   "♻️ Back to marketing: " + leadTitle(l),
			Sections: []Section{{Text: personLine(l)}, {Fields: []Field{{Key: "Reason", Value: orDash(l.Reason)}}}},
		}
	}
	m.Context = []string{"Closed " + clock(l.UpdatedAt, now, p)}
	return m
}

// OwnerDM is the direct message a rep gets after claiming a lead: every
// contact detail, the contact deadline and a Log contact button.
func OwnerDM(l *handoff.Lead, now time.Time, p handoff.Policy) Message {
	fields := []Field{
		{Key: "Name", Value: orDash(Escape(l.Name))},
		{Key: "Title", Value: orDash(Escape(l.Title))},
		{Key: "Company", Value: orDash(Escape(l.Company))},
		{Key: "Email", Value: orDash(Escape(l.Email))},
		{Key: "Phone", Value: orDash(Escape(l.Phone))},
		{Key: "Score", Value: strconv.Itoa(l.Score)},
		{Key: "Source", Value: orDash(Escape(l.Source))},
		{Key: "Campaign", Value: orDash(Escape(l.Campaign))},
	}
	return Message{
		Summary:  "You claimed " + Escape(leadTitle(l)),
		Header:   "You claimed " + leadTitle(l),
		Sections: []Section{{Fields: fields}},
		Context:  deadlineContext(l, now, p),
		Buttons:  []Button{button(ActionLogContact, l, "📞 Log contact", StylePrimary)},
	}
}

// Notice is a short private message to one user.
func Notice(text string) Message {
	return Message{Summary: text, Sections: []Section{{Text: text}}, Private: true}
}

func button(action string, l *handoff.Lead, text string, style ButtonStyle) Button {
	return Button{ActionID: action, Value: strconv.FormatInt(l.ID, 10), Text: text, Style: style}
}

// leadTitle is the plain-text name of the lead: its company, else its
// person, else its external id.
func leadTitle(l *handoff.Lead) string {
	for _, s := range []string{l.Company, l.Name, l.ExternalID} {
		if s != "" {
			return s
		}
	}
	return fmt.Sprintf("lead %d", l.ID)
}

func personLine(l *handoff.Lead) string {
	name := l.Name
	if name == "" {
		name = l.Email
	}
	if name == "" {
		name = "Unknown person"
	}
	line := "*" + Escape(name) + "*"
	if l.Title != "" {
		line += ", " + Escape(l.Title)
	}
	if l.Company != "" {
		line += " at " + Escape(l.Company)
	}
	return line
}

func leadFields(l *handoff.Lead) []Field {
	src := Escape(l.Source)
	if l.Campaign != "" {
		if src != "" {
			src += " / "
		}
		src += Escape(l.Campaign)
	}
	return []Field{
		{Key: "Company", Value: orDash(Escape(l.Company))},
		{Key: "Source / campaign", Value: orDash(src)},
		{Key: "Score", Value: strconv.Itoa(l.Score)},
	}
}

// slaLine states the claim and contact deadlines of a new SQL, e.g.
// "⏱ Claim within 2 h (by 11:00) · contact by Tue 14:00".
func slaLine(l *handoff.Lead, now time.Time, p handoff.Policy) string {
	var parts []string
	if l.ClaimDueAt != nil {
		left := p.Between(now, *l.ClaimDueAt)
		if left > 0 {
			parts = append(parts, fmt.Sprintf("Claim within %s (by %s)", FormatDuration(left), clock(*l.ClaimDueAt, now, p)))
		} else {
			parts = append(parts, fmt.Sprintf("Claim overdue by %s", FormatDuration(-left)))
		}
	}
	if l.ContactDueAt != nil {
		parts = append(parts, "contact by "+clock(*l.ContactDueAt, now, p))
	}
	if len(parts) == 0 {
		return ""
	}
	return "⏱ " + strings.Join(parts, " · ")
}

// deadlineContext states the contact deadline of a claimed lead.
func deadlineContext(l *handoff.Lead, now time.Time, p handoff.Policy) []string {
	var out []string
	if l.ContactDueAt != nil {
		left := p.Between(now, *l.ContactDueAt)
		if left > 0 {
			out = append(out, fmt.Sprintf("⏱ Contact by %s (%s left)", clock(*l.ContactDueAt, now, p), FormatDuration(left)))
		} else {
			out = append(out, fmt.Sprintf("⚠️ Contact was due %s", clock(*l.ContactDueAt, now, p)))
		}
	}
	if l.SLABreached {
		out = append(out, "⚠️ The SLA was breached for this lead.")
	}
	return out
}

// ownerRef names a lead's owner: a mention when the platform user is known,
// else the email, else "nobody".
func ownerRef(o handoff.Owner) string {
	switch {
	case o.UserID != "" && o.Platform != "":
		label := o.Email
		if label == "" {
			label = "a " + strings.ToUpper(o.Platform[:1]) + o.Platform[1:] + " user"
		}
		return MentionOn(o.Platform, o.UserID, label)
	case o.UserID != "":
		return Mention(o.UserID)
	case o.Email != "":
		return Escape(o.Email)
	}
	return "nobody"
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

// clock formats t as wall clock in the policy's zone: "Tue 14:00" within a
// week of now, "Tue 2 Dec 14:00" further away.
func clock(t, now time.Time, p handoff.Policy) string {
	loc := p.Location
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc)
	if d := t.Sub(now); d > 6*24*time.Hour || d < -6*24*time.Hour {
		return t.Format("Mon 2 Jan 15:04")
	}
	return t.Format("Mon 15:04")
}

// FormatDuration writes d for people, to the minute: "45 min", "2 h",
// "1 h 30 min", "2 d 4 h".
func FormatDuration(d time.Duration) string {
	d = d.Round(time.Minute)
	if d < time.Minute {
		return "less than a minute"
	}
	days, hours, mins := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case days > 0 && hours > 0:
		return fmt.Sprintf("%d d %d h", days, hours)
	case days > 0:
		return fmt.Sprintf("%d d", days)
	case hours > 0 && mins > 0:
		return fmt.Sprintf("%d h %d min", hours, mins)
	case hours > 0:
		return fmt.Sprintf("%d h", hours)
	}
	return fmt.Sprintf("%d min", mins)
}

// FormatAmount writes an amount in minor units with its currency code and
// thousands separators: "DKK 40,000", "DKK 1,250.50".
func FormatAmount(minor int64, currency string) string {
	if currency == "" {
		currency = handoff.DefaultCurrency
	}
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	whole := strconv.FormatInt(minor/100, 10)
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	s := currency + " " + sign + b.String()
	if cents := minor % 100; cents != 0 {
		s += fmt.Sprintf(".%02d", cents)
	}
	return s
}
