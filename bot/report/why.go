package report

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
)

// WhyMessage answers `/leads why <id>`: every routing decision for the lead
// in words, one line per step (whom it was offered to, or why nobody, and
// who was skipped and why), then the accept or claim if any. A lead with no
// routing decision was not routed: the first click won. It is private.
func WhyMessage(l *handoff.Lead, events []handoff.Event, p handoff.Policy) bot.Message {
	var steps []string
	offered := "" // the rep key the last routing step offered the lead to
	for _, e := range events {
		switch {
		case e.Kind == handoff.EventRouted:
			steps = append(steps, routedLine(e, p))
			offered = e.Details["offered"]
		case e.Kind == handoff.EventStage && e.Stage == handoff.StageClaimed:
			verb := "claimed by"
			if offered != "" && offered == e.Actor {
				verb = "accepted by"
			}
			steps = append(steps, fmt.Sprintf("%s: %s %s", e.At.In(location(p)).Format(handoff.RoutingTimeLayout), verb, actorRef(e.Actor)))
		}
	}
	m := bot.Message{
		Summary: "Routing of " + bot.Escape(bot.LeadTitle(l)),
		Header:  "🧭 Routing of " + leadName(l),
		Private: true,
		Leads:   []int64{l.ID},
	}
	routed := false
	for _, e := range events {
		routed = routed || e.Kind == handoff.EventRouted
	}
	if !routed {
		m.Sections = append(m.Sections, bot.Section{Text: "Not routed: first click wins (claim mode)."})
	}
	for _, s := range steps {
		m.Sections = append(m.Sections, bot.Section{Text: s})
	}
	m.Context = append(m.Context, "Times are "+zoneName(p)+".")
	return m
}

// routedLine words one routed event: how the previous offer ended, then
// the decision.
func routedLine(e handoff.Event, p handoff.Policy) string {
	var d handoff.RouteDecision
	if err := json.Unmarshal([]byte(e.Details["decision"]), &d); err != nil || d.At.IsZero() {
		return localTime(e.At, p) + ": routed (decision not readable)"
	}
	for i := range d.Candidates { // an away reason is the rep's own words
		d.Candidates[i].Detail = bot.Escape(d.Candidates[i].Detail)
	}
	ended, endedOne := endedOffer(e)
	if endedOne { // the line says so first: not again among the skipped
		d.Candidates = slices.DeleteFunc(d.Candidates, func(c handoff.Availability) bool {
			return c.Rep == ended.Rep && c.Skip == ended.Ending
		})
	}
	s := d.Explain(bot.RepName, p.Location)
	if endedOne {
		if at, rest, ok := strings.Cut(s, ": "); ok {
			s = at + ": " + ended.Explain(bot.RepName) + "; " + rest
		}
	}
	return s
}

// endedOffer is the offer a routed event ended, with its reason escaped,
// if it ended one.
func endedOffer(e handoff.Event) (handoff.TriedOffer, bool) {
	ended := e.Details["ended"]
	if ended == "" {
		return handoff.TriedOffer{}, false
	}
	t := handoff.TriedOffer{Rep: handoff.ParseRepKey(ended), Ending: handoff.SkipTimedOut, Reason: bot.Escape(e.Details["reason"])}
	if handoff.SkipReason(e.Details["ending"]) == handoff.SkipPassed {
		t.Ending = handoff.SkipPassed
	}
	return t, true
}

// routedEvent words a routed event for a lead's history: how the previous
// offer ended, then what routing did.
func routedEvent(e handoff.Event, p handoff.Policy) string {
	var parts []string
	if t, ok := endedOffer(e); ok {
		if t.Ending == handoff.SkipPassed {
			parts = append(parts, "Passed by "+bot.RepName(t.Rep))
			if t.Reason != "" {
				parts[0] += ": " + t.Reason
			}
		} else {
			parts = append(parts, "Offer to "+bot.RepName(t.Rep)+" timed out")
		}
	}
	var d handoff.RouteDecision
	err := json.Unmarshal([]byte(e.Details["decision"]), &d)
	switch {
	case err != nil || d.At.IsZero():
		parts = append(parts, "routed")
	case d.OpenToChannel:
		parts = append(parts, "opened to the channel")
	case d.Waiting:
		parts = append(parts, "waiting for an available rep")
	default:
		parts = append(parts, "offered to "+bot.RepName(d.Offered)+" until "+d.OfferUntil.In(location(p)).Format("15:04"))
	}
	s := strings.Join(parts, "; ")
	return strings.ToUpper(s[:1]) + s[1:]
}
