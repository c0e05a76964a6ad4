package bot

import (
	"strconv"
	"time"

	"github.com/handoff/handoff"
)

// Earlier is what a lead's earlier card says besides the lead itself.
type Earlier struct {
	// Left is the lead's stage event of a win, loss or return, with its
	// reason, by which it left sales before it came back
	// (handoff.LeftBefore); nil when its history holds none. The card's
	// "Closed" line is its time as the history dates it, a CRM's for a
	// CRM's change however late Handoff heard of it, on the clock of the
	// return's time, which is the CRM's too.
	Left *handoff.Event
	// Owner is who held the lead in the SQL cycle the card announced (the
	// rep who worked it); zero when nobody did or it is not known.
	Owner handoff.Owner
	// NewCard is the URL of the lead's new card; "" when it is not known.
	NewCard string
}

// NewCardWords are the words of an earlier card that point to the lead's
// new card, and link to it when its URL is known.
const NewCardWords = "see its new card"

// EarlierCard is a lead's card that a newer card replaced when the lead
// came back as an SQL at back (handoff.OutboxEarlierCard): who the lead
// is, how it had left sales, as the card said then (e.Left, in its closed
// card's words: how, who held it, why, and the deal's amount, each where
// the lead has it), and that it came back, when (back, or AfterItClosed
// for a return dated at or before the departure), pointing to its new
// card (a link to it when e.NewCard is known): in words that stay true
// whatever becomes of that card (claimed, closed), so that the card is
// never updated again for it. It has no buttons. An erased lead's is
// ErasedCard, as its erasure leaves every earlier card.
func EarlierCard(l *handoff.Lead, e Earlier, back, now time.Time, p handoff.Policy) Message {
	if l.ErasedAt != nil {
		return ErasedCard()
	}
	came := Section{Text: "↩️ *Came back as an SQL " + cameBackWhen(e.Left, back, now, p) + "*: " + NewCardWords + " in the sales channel."}
	if e.NewCard != "" {
		came.Link = &Link{Words: NewCardWords, URL: e.NewCard}
	}
	m := Message{
		Summary:  Escape(LeadTitle(l)) + " came back as an SQL",
		Header:   "↩️ Came back: " + LeadTitle(l),
		Sections: []Section{{Text: PersonLine(l)}},
	}
	if fields := earlierFields(l, e, p); len(fields) > 0 {
		m.Sections = append(m.Sections, Section{Fields: fields})
	}
	if e.Left != nil {
		m.Context = []string{closedLine(e.Left.At, now, p)}
	}
	m.Sections = append(m.Sections, came)
	return m
}

// AfterItClosed is when an earlier card says the lead came back when its
// return is dated at or before its departure: a return a sender dated
// before it, which Handoff dates at the departure (Lead.NotBeforeDeparture)
// or, stored before it did, before it. The return's time would read as if
// the lead came back the minute it closed, or before; that it came back
// after it closed is what is known.
const AfterItClosed = "after it closed"

// cameBackWhen is when an earlier card says the lead came back at back,
// having left sales by left: back's time, or AfterItClosed when back is not
// after left's (the card's "Closed" line says that time).
func cameBackWhen(left *handoff.Event, back, now time.Time, p handoff.Policy) string {
	if left != nil && !back.After(left.At) {
		return AfterItClosed
	}
	return Clock(back, now, p)
}

// earlierFields say how lead l had left sales, in its closed card's words:
// how (departure), who held it (ownerKey), the reason of a loss or return,
// and the deal's amount (dealAmount), each only where the lead has it.
func earlierFields(l *handoff.Lead, e Earlier, p handoff.Policy) []Field {
	var fields []Field
	owner := "Owner"
	if e.Left != nil {
		fields = append(fields, Field{Key: "Was", Value: departure(e.Left.Stage)})
		owner = ownerKey(e.Left.Stage)
	}
	if !e.Owner.IsZero() {
		fields = append(fields, Field{Key: owner, Value: OwnerRef(e.Owner)})
	}
	if e.Left != nil && e.Left.Stage != handoff.StageWon {
		fields = append(fields, Field{Key: "Reason", Value: OrDash(Escape(e.Left.Details["reason"]))})
	}
	if minor := dealAmount(l, e.Left); minor > 0 {
		fields = append(fields, Field{Key: "Amount", Value: FormatAmount(minor, p.Targets.Currency)})
	}
	return fields
}

// dealAmount is the deal value, in minor units, that the earlier card of
// lead l, which had left sales by left, shows: the amount its win recorded
// when it had left by a win (a later win may have changed the lead's
// since), else the lead's own (a CRM's deal value); 0 for none.
func dealAmount(l *handoff.Lead, left *handoff.Event) int64 {
	if left != nil && left.Stage == handoff.StageWon {
		if minor, err := strconv.ParseInt(left.Details["amount_minor"], 10, 64); err == nil && minor > 0 {
			return minor
		}
	}
	return l.AmountMinor
}
