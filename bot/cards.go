package bot

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

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
// Not a fit buttons. An erased SQL cannot be claimed
// (handoff.Lead.TakeUpRefused): its card says so instead of its offer and
// deadlines, and keeps only Not a fit, which takes it off sales' list.
func NewLeadCard(l *handoff.Lead, now time.Time, p handoff.Policy) Message {
	m := Message{
		Summary:  "New SQL: " + Escape(LeadTitle(l)),
		Header:   "🆕 New SQL: " + LeadTitle(l),
		Sections: []Section{{Text: PersonLine(l), Fields: LeadFields(l)}},
	}
	if l.ErasedAt != nil {
		m.Context = []string{ErasedNoClaim}
		m.Buttons = []Button{button(ActionNotAFit, l, "Not a fit", StyleDefault)}
		return m
	}
	if offer := offerLines(l, now, p); len(offer) > 0 {
		m.Sections = append(m.Sections, Section{Text: offer[0]})
		m.Context = append(m.Context, offer[1:]...)
	}
	if sla := SLALine(l, now, p); sla != "" {
		m.Context = append(m.Context, sla)
	}
	m.Buttons = []Button{
		button(ActionClaim, l, "✋ Claim", StylePrimary),
		button(ActionNotAFit, l, "Not a fit", StyleDefault),
	}
	return m
}

// ErasedNoClaim is the line on the card of an erased, unclaimed SQL.
const ErasedNoClaim = "🔒 It cannot be claimed: there is no one to contact any more. *Not a fit* takes it off the list."

// ClaimedCard is the card of a claimed lead: the owner named, the contact
// deadline, and the Log contact, Release and Reassign buttons. An erased
// lead has neither Release nor Reassign (handoff.Lead.ReleaseRefused,
// reassignButton): nobody could take it up, so it has Lost instead, for
// its owner or a manager to close it (its owner may have left).
func ClaimedCard(l *handoff.Lead, now time.Time, p handoff.Policy) Message {
	text := "Claimed by " + OwnerRef(l.Owner)
	if l.ClaimedAt != nil {
		text += " · " + Clock(*l.ClaimedAt, now, p)
	}
	m := Message{
		Summary:  fmt.Sprintf("%s was claimed by %s", TitleFirst(l), OwnerRef(l.Owner)),
		Header:   "✋ Claimed: " + LeadTitle(l),
		Sections: []Section{{Text: PersonLine(l), Fields: LeadFields(l)}, {Text: text}},
		Context:  DeadlineContext(l, now, p),
	}
	m.Buttons = []Button{button(ActionLogContact, l, "📞 Log contact", StylePrimary)}
	if l.ErasedAt != nil {
		m.Buttons = append(m.Buttons, button(ActionLost, l, "Lost", StyleDanger))
		return m
	}
	m.Buttons = append(m.Buttons, button(ActionRelease, l, "Release", StyleDefault))
	m.Buttons = append(m.Buttons, reassignButton(l)...)
	return m
}

// reassignButton is the Reassign button of a claimed or contacted lead's
// card; none for an erased lead, which nobody new takes up.
func reassignButton(l *handoff.Lead) []Button {
	if l.ErasedAt != nil {
		return nil
	}
	return []Button{button(ActionReassign, l, "Reassign", StyleDefault)}
}

// ContactedCard is the card of a lead in first contact or opportunity: who
// made contact and when, and the Opportunity (until reached), Won, Lost,
// Recycle and Reassign (reassignButton) buttons.
func ContactedCard(l *handoff.Lead, now time.Time, p handoff.Policy) Message {
	text := "Contacted by " + OwnerRef(l.Owner)
	if l.ContactedAt != nil {
		text += " · " + Clock(*l.ContactedAt, now, p)
	}
	header := "📞 Contacted: " + LeadTitle(l)
	if l.Stage == handoff.StageOpportunity {
		header = "💡 Opportunity: " + LeadTitle(l)
		text = "Opportunity worked by " + OwnerRef(l.Owner)
	}
	m := Message{
		Summary:  fmt.Sprintf("%s: %s", TitleFirst(l), l.Stage),
		Header:   header,
		Sections: []Section{{Text: PersonLine(l), Fields: LeadFields(l)}, {Text: text}},
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
	)
	m.Buttons = append(m.Buttons, reassignButton(l)...)
	return m
}

// ClosedCard is the card of a lead that left sales' hands: won (with the
// amount in the policy's currency), lost or recycled (with the reason). Its
// "Closed" line is when the lead left, as its history dates it
// (Lead.EnteredStageAt: a CRM's date for a CRM's change, however late
// Handoff heard of it), which a later update of the lead (a rescore, an
// attribute) does not move. It has no buttons.
func ClosedCard(l *handoff.Lead, now time.Time, p handoff.Policy) Message {
	var m Message
	switch l.Stage {
	case handoff.StageWon:
		amount := FormatAmount(l.AmountMinor, p.Targets.Currency)
		m = Message{
			Summary:  fmt.Sprintf("%s was won: %s", TitleFirst(l), amount),
			Header:   departure(handoff.StageWon) + ": " + LeadTitle(l),
			Sections: []Section{{Text: PersonLine(l)}, {Fields: []Field{{Key: ownerKey(handoff.StageWon), Value: OwnerRef(l.Owner)}, {Key: "Amount", Value: amount}}}},
		}
	case handoff.StageLost:
		m = Message{
			Summary:  TitleFirst(l) + " was lost",
			Header:   departure(handoff.StageLost) + ": " + LeadTitle(l),
			Sections: []Section{{Text: PersonLine(l)}, {Fields: []Field{{Key: ownerKey(handoff.StageLost), Value: OwnerRef(l.Owner)}, {Key: "Reason", Value: OrDash(Escape(l.Reason))}}}},
		}
	default:
		fields := []Field{{Key: "Reason", Value: OrDash(Escape(l.Reason))}}
		if l.ClaimedAt != nil && !l.Owner.IsZero() { // not for a Not a fit before any claim
			fields = append([]Field{{Key: ownerKey(handoff.StageRecycled), Value: OwnerRef(l.Owner)}}, fields...)
		}
		m = Message{
			Summary:  TitleFirst(l) + " went back to marketing",
			Header:   departure(handoff.StageRecycled) + ": " + LeadTitle(l),
			Sections: []Section{{Text: PersonLine(l)}, {Fields: fields}},
		}
	}
	m.Context = []string{closedLine(l.EnteredStageAt(), now, p)}
	return m
}

// departure names how a lead left sales by entering stage s, as its
// closed card's header does: "🏆 Won", "Lost" or "♻️ Back to marketing"
// (recycled, and any other stage).
func departure(s handoff.Stage) string {
	switch s {
	case handoff.StageWon:
		return "🏆 Won"
	case handoff.StageLost:
		return "Lost"
	}
	return "♻️ Back to marketing"
}

// ownerKey names who held a lead that left sales by entering stage s, as
// its closed card's field does: "Won by", "Owner" (lost) or "Worked by"
// (back to marketing, and any other stage).
func ownerKey(s handoff.Stage) string {
	switch s {
	case handoff.StageWon:
		return "Won by"
	case handoff.StageLost:
		return "Owner"
	}
	return "Worked by"
}

// closedLine is the context line of a card of a lead that left sales at
// at (won, lost or back to marketing alike): "Closed Fri 14:05".
func closedLine(at, now time.Time, p handoff.Policy) string {
	return "Closed " + Clock(at, now, p)
}

// OwnerDM is the direct message a rep gets after claiming a lead: every
// contact detail, the contact deadline and a Log contact button.
func OwnerDM(l *handoff.Lead, now time.Time, p handoff.Policy) Message {
	fields := []Field{
		{Key: "Name", Value: OrDash(Escape(l.Name))},
		{Key: "Title", Value: OrDash(Escape(l.Title))},
		{Key: "Company", Value: OrDash(Escape(l.Company))},
		{Key: "Email", Value: OrDash(Escape(l.Email))},
		{Key: "Phone", Value: OrDash(Escape(l.Phone))},
		{Key: "Score", Value: strconv.Itoa(l.Score)},
		{Key: "Source", Value: OrDash(Escape(l.Source))},
		{Key: "Campaign", Value: OrDash(Escape(l.Campaign))},
	}
	return Message{
		Summary:  "You claimed " + Escape(LeadTitle(l)),
		Header:   "You claimed " + LeadTitle(l),
		Sections: []Section{{Fields: fields}},
		Context:  DeadlineContext(l, now, p),
		Buttons:  []Button{button(ActionLogContact, l, "📞 Log contact", StylePrimary)},
	}
}

// ErasedCard replaces every message that showed a lead whose personal data
// was erased, other than its card (which shows the anonymous lead).
func ErasedCard() Message {
	text := "🔒 This lead's personal data was erased."
	return Message{Summary: text, Sections: []Section{{Text: text}}}
}

// ErasedAnswer is sent instead of an answer or notice that showed a lead
// whose personal data was erased after the answer read it and before it
// was sent (Message.ReadAt); private when the answer was.
func ErasedAnswer(private bool) Message {
	text := "🔒 This answer showed a lead whose personal data was erased while it was being made. Ask again for what Handoff holds now."
	return Message{Summary: text, Sections: []Section{{Text: text}}, Private: private}
}

// Notice is a short private message to one user.
func Notice(text string) Message {
	return Message{Summary: text, Sections: []Section{{Text: text}}, Private: true}
}

// ErrorNotice is the private notice that tells a user why their request
// was refused. A domain error's message may be Message markup (escaped data,
// *bold*, `code`, mentions) or plain text with data from the request in it,
// so it is shown as plain text: markup dropped, mentions by their label,
// then escaped once. Nothing in it can format, link or mention, and nothing
// is escaped twice.
func ErrorNotice(err error) Message {
	msg := RewriteMentions(handoff.ErrorMessage(err), func(m MentionRef) string {
		if m.Label != "" {
			return m.Label
		}
		return "@" + m.UserID
	})
	return Notice(Escape(Unescape(strings.NewReplacer("*", "", "`", "").Replace(msg))))
}

func button(action string, l *handoff.Lead, text string, style ButtonStyle) Button {
	return Button{ActionID: action, Value: strconv.FormatInt(l.ID, 10), Text: text, Style: style}
}

// LeadTitle is the plain-text name of the lead: its company, else its
// person, else its external id. A lead whose personal data was erased has
// none of these but an anonymous id ("erased-" and a hash), which means
// nothing to a person: it is named by Handoff's id instead, saying so
// ("lead 42 (personal data erased)"), as its refusals name it
// (handoff.Lead.TakeUpRefused).
func LeadTitle(l *handoff.Lead) string {
	if l.ErasedAt != nil {
		return fmt.Sprintf("lead %d (personal data erased)", l.ID)
	}
	for _, s := range []string{l.Company, l.Name, l.ExternalID} {
		if s != "" {
			return s
		}
	}
	return fmt.Sprintf("lead %d", l.ID)
}

// LeadRef names lead l in a notice that refuses a click (TooLate, OwnerOnly,
// the refusals of Release and Reassign): its title in bold and Handoff's id
// for it ("*Acme A/S* (lead 42)"), so that the rep knows which lead it was
// when two have the same title; for an erased lead its title alone
// (LeadTitle), which is that id, saying so, never its anonymous external id.
func LeadRef(l *handoff.Lead) string {
	if l.ErasedAt != nil {
		return LeadTitle(l)
	}
	return fmt.Sprintf("*%s* (lead %d)", Escape(LeadTitle(l)), l.ID)
}

// TooLate is the notice to someone whose claim of lead l came after
// another's, naming who has it, or after the lead left the SQL stage,
// naming its stage; either names the lead as LeadRef does.
func TooLate(l *handoff.Lead) string {
	if !l.Owner.IsZero() && l.Stage.Open() {
		return fmt.Sprintf("Too late: %s already claimed %s.", OwnerRef(l.Owner), LeadRef(l))
	}
	return fmt.Sprintf("%s is %s and can no longer be claimed.", upperFirst(LeadRef(l)), l.Stage)
}

// alreadyIn is the refusal of an action on lead l, which has already
// reached its stage, a closed one (won, lost, …).
func alreadyIn(l *handoff.Lead) error {
	return handoff.Errorf(handoff.ECONFLICT, "%s is already %s.", upperFirst(LeadRef(l)), l.Stage)
}

// TitleFirst is the lead's title (LeadTitle), escaped, to begin a sentence
// or stand alone as a summary: an erased lead's "Lead 42 (personal data
// erased)" with a capital, any other as its company or person wrote it.
func TitleFirst(l *handoff.Lead) string {
	if l.ErasedAt != nil {
		return upperFirst(LeadTitle(l))
	}
	return Escape(LeadTitle(l))
}

// upperFirst is s with its first letter in upper case.
func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// ErasedPerson stands in a card for the person of a lead whose personal
// data was erased (at the person's request, or by the agreement's
// retention), instead of a name.
const ErasedPerson = "🔒 *Personal data erased* (GDPR)"

// PersonLine names the lead's person in bold with their title and company,
// as a card's text shows them; ErasedPerson for an erased lead.
func PersonLine(l *handoff.Lead) string {
	if l.ErasedAt != nil {
		return ErasedPerson
	}
	line := "*" + Escape(cmp.Or(l.Name, l.Email, "Unknown person")) + "*"
	if l.Title != "" {
		line += ", " + Escape(l.Title)
	}
	if l.Company != "" {
		line += " at " + Escape(l.Company)
	}
	return line
}

// LeadFields are the lead's key facts as card fields.
func LeadFields(l *handoff.Lead) []Field {
	src := Escape(l.Source)
	if l.Campaign != "" {
		if src != "" {
			src += " / "
		}
		src += Escape(l.Campaign)
	}
	return []Field{
		{Key: "Company", Value: OrDash(Escape(l.Company))},
		{Key: "Source / campaign", Value: OrDash(src)},
		{Key: "Score", Value: scoreText(l)},
	}
}

// scoreText is the score with the one line of its top reasons when the
// agreement's scoring computed it: "70 (page_view /pricing ×2 +40 · title: CTO +30)".
func scoreText(l *handoff.Lead) string {
	if l.ScoreReasons == "" {
		return strconv.Itoa(l.Score)
	}
	return fmt.Sprintf("%d (%s)", l.Score, Escape(l.ScoreReasons))
}

// SLALine states the claim and contact deadlines of a new SQL, e.g.
// "⏱ Claim within 2 h (by 11:00) · contact by Tue 14:00". A claim
// deadline that has passed is stated as a time ("⚠️ Claim was due Fri
// 12:00"), not as how long ago: a card keeps its text until it is next
// updated, which may be days later.
func SLALine(l *handoff.Lead, now time.Time, p handoff.Policy) string {
	var parts []string
	mark := "⏱ "
	if due := l.ClaimDueAtNow(now, p); due != nil { // an unshown card's moved on, as the clock does
		if left := p.Between(now, *due); left > 0 {
			parts = append(parts, fmt.Sprintf("Claim within %s (by %s)", FormatAgreed(left, p), Clock(*due, now, p)))
		} else {
			mark = "⚠️ "
			parts = append(parts, "Claim was due "+Clock(*due, now, p))
		}
	}
	if l.ContactDueAt != nil {
		parts = append(parts, "contact by "+Clock(*l.ContactDueAt, now, p))
	}
	if len(parts) == 0 {
		return ""
	}
	return mark + strings.Join(parts, " · ")
}

// DeadlineContext states the contact deadline of a claimed lead.
func DeadlineContext(l *handoff.Lead, now time.Time, p handoff.Policy) []string {
	var out []string
	if l.ContactDueAt != nil {
		left := p.Between(now, *l.ContactDueAt)
		if left > 0 {
			out = append(out, fmt.Sprintf("⏱ Contact by %s (%s left)", Clock(*l.ContactDueAt, now, p), FormatAgreed(left, p)))
		} else {
			out = append(out, fmt.Sprintf("⚠️ Contact was due %s", Clock(*l.ContactDueAt, now, p)))
		}
	}
	if l.SLABreached {
		out = append(out, "⚠️ The SLA was breached for this lead.")
	}
	return out
}

// OwnerRef names a lead's owner: a mention when the platform user is known,
// else the email, else "nobody".
func OwnerRef(o handoff.Owner) string {
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

// OrDash is s, or "–" when s is empty.
func OrDash(s string) string { return cmp.Or(s, "–") }

// Clock formats t as wall clock in the policy's zone: "Tue 14:00" within a
// week of now, "Tue 2 Dec 14:00" further away.
func Clock(t, now time.Time, p handoff.Policy) string {
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

// FormatAgreed writes d, a span of the agreement's time (Policy.Between),
// for people. Around the clock it is FormatDuration. With business hours a
// span of a day or more is whole hours of business time ("47 business
// hours"): a day of business time is not a day, and "1 d 23 h" left would
// contradict a deadline a week away.
func FormatAgreed(d time.Duration, p handoff.Policy) string {
	if p.BusinessHours == nil || d < 24*time.Hour {
		return FormatDuration(d)
	}
	return Count(int(d/time.Hour), "business hour", "business hours")
}

// Count writes n and the noun that goes with it: Count(1, "SQL", "SQLs")
// is "1 SQL", Count(2, "SQL", "SQLs") "2 SQLs".
func Count[N ~int | ~int64](n N, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
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
	currency = cmp.Or(currency, handoff.DefaultCurrency)
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
