package bot

import (
	"strconv"
	"strings"
	"time"

	"github.com/handoff/handoff"
)

// maxCauseLen bounds the platform's error quoted in a given-up card's note.
const maxCauseLen = 200

// causeTail is cause within maxCauseLen runes: its end, where the
// platform's own answer and what to do about it come (the outbox's context,
// which lead to which channel, comes first), after an ellipsis.
func causeTail(cause string) string {
	r := []rune(strings.TrimSpace(cause))
	if len(r) > maxCauseLen {
		r = append([]rune{'…'}, r[len(r)-maxCauseLen+1:]...)
	}
	return string(r)
}

// GivenUpCard tells the managers that a new SQL's card never reached the
// sales channel on n.Platform: the outbox gave it up, for n.Cause. It says
// when the claim is due and how the card gets posted, and offers Reassign
// while the lead waits for an owner, so that a manager can hand it to a rep
// meanwhile. With n.Posted set it says instead that a retry posted the card
// then. Its "Claim by" is the deadline p's SLA clock holds the lead to at
// now (Lead.ClaimDueAtNow), as the other cards show it.
func GivenUpCard(l *handoff.Lead, n handoff.GivenUpNotice, now time.Time, p handoff.Policy) Message {
	where := "the sales channel"
	if name := platformTitle(n.Platform); name != "" {
		where += " in " + name
	}
	cause := causeTail(n.Cause)
	fields := []Field{
		{Key: "Stage", Value: string(l.Stage)},
		{Key: "Score", Value: strconv.Itoa(l.Score)},
	}
	// The claim deadline as the clock holds it now: under
	// sla.excuse_system_delay one the card's delay has passed is moved on.
	if due := l.ClaimDueAtNow(now, p); l.Stage == handoff.StageSQL && due != nil {
		fields = append(fields, Field{Key: "Claim by", Value: Clock(*due, now, p)})
	}
	said := []Section{}
	if len(cause) > 0 {
		said = append(said, Section{Text: "The platform said: " + Escape(cause)})
	}
	m := Message{
		Summary:  "Not in the sales channel: " + Escape(LeadTitle(l)),
		Header:   "⚠️ Not in the sales channel: " + LeadTitle(l),
		Sections: append([]Section{{Text: personOrCompany(l) + " is a new SQL, but its card could not be posted to " + where + ".", Fields: fields}}, said...),
		Context: []string{"Once the cause is mended (the app back in the channel, the channel's setting right), " +
			"an admin posts the card with handoff outbox retry. Meanwhile a manager can hand the lead to a rep with Reassign."},
	}
	if n.Refused {
		m.Context = []string{"The card is posted by itself, and this note says so, once the app is back in the channel " +
			"(" + backHow(n.Platform) + "). Meanwhile a manager can hand the lead to a rep with Reassign."}
	}
	if !n.Posted.IsZero() {
		m.Summary = "In the sales channel now: " + Escape(LeadTitle(l))
		m.Header = "✅ In the sales channel now: " + LeadTitle(l)
		m.Sections[0].Text = "The card of " + personOrCompany(l) + " could not be posted to " + where + " at first; a retry posted it at " + Clock(n.Posted, now, p) + "."
		m.Context = nil
	}
	if l.Stage == handoff.StageSQL || l.Stage == handoff.StageClaimed {
		m.Buttons = reassignButton(l)
	}
	return m
}

// backHow says how the app gets back into a channel that refused it.
func backHow(platform string) string {
	switch platform {
	case "slack":
		return "/invite @Handoff there, or unarchive it"
	case "teams":
		return "add Handoff to the team again, or restore the channel"
	}
	return "invite it there, or add it to the team again"
}

// platformTitle is a platform's name as people write it; "" for none.
func platformTitle(platform string) string {
	switch platform {
	case "slack":
		return "Slack"
	case "teams":
		return "Teams"
	}
	return platform
}
