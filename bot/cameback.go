package bot

import (
	"time"

	"github.com/handoff/handoff"
)

// EarlierCard is a lead's card that a newer card replaced when the lead
// came back as an SQL at back (handoff.OutboxEarlierCard): who the lead
// is, how it had left sales, as the card said then (left: its stage event
// of a win, loss or return with its reason; nil when its history holds
// none), and that it came back, pointing to its new card: in words that
// stay true whatever becomes of that card (claimed, closed), so that the
// card is never updated again for it. It has no buttons. An erased lead's
// is ErasedCard, as its erasure leaves every earlier card.
func EarlierCard(l *handoff.Lead, left *handoff.Event, back, now time.Time, p handoff.Policy) Message {
	if l.ErasedAt != nil {
		return ErasedCard()
	}
	came := "↩️ *Came back as an SQL " + Clock(back, now, p) + "*: see its new card in the sales channel."
	m := Message{
		Summary:  Escape(LeadTitle(l)) + " came back as an SQL",
		Header:   "↩️ Came back: " + LeadTitle(l),
		Sections: []Section{{Text: PersonLine(l)}},
	}
	if left != nil {
		m.Sections = append(m.Sections, Section{Fields: leftFields(left)})
		m.Context = []string{closedLine(left.At, now, p)}
	}
	m.Sections = append(m.Sections, Section{Text: came})
	return m
}

// leftFields say how a lead left sales by stage event e, in its closed
// card's words (departure): won, or lost or back to marketing with its
// reason.
func leftFields(e *handoff.Event) []Field {
	was := Field{Key: "Was", Value: departure(e.Stage)}
	if e.Stage == handoff.StageWon {
		return []Field{was}
	}
	return []Field{was, {Key: "Reason", Value: OrDash(Escape(e.Details["reason"]))}}
}
