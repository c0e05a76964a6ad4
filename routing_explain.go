package handoff

import (
	"fmt"
	"strings"
	"time"
)

// RoutingTimeLayout is how `/leads why` shows the time of each step.
const RoutingTimeLayout = "Mon 2 Jan 15:04"

// Explain says in words what d decided and why, for `/leads why`. name
// renders a rep (a mention or an email); times are shown in loc.
func (d RouteDecision) Explain(name func(RepRef) string, loc *time.Location) string {
	loc = locOrUTC(loc)
	var b strings.Builder
	at := d.At.In(loc).Format(RoutingTimeLayout)
	switch {
	case d.OpenToChannel:
		fmt.Fprintf(&b, "%s: opened to the whole channel (offer rounds used up)", at)
	case d.Waiting:
		fmt.Fprintf(&b, "%s: nobody available, waiting", at)
	default:
		fmt.Fprintf(&b, "%s: offered to %s until %s", at, name(d.Offered), d.OfferUntil.In(loc).Format("15:04"))
		if d.SameAccount {
			b.WriteString(" (same account)")
		}
	}
	var skipped []string
	for _, c := range d.Candidates {
		if !c.Available() {
			skipped = append(skipped, name(c.Rep)+" "+c.describe(loc))
		}
	}
	if len(skipped) > 0 {
		b.WriteString(". Skipped: " + strings.Join(skipped, "; "))
	}
	return b.String()
}

// Explain says in words how the offer ended, as `/leads why` and the
// channel card of a lead open to everyone say it: "<rep> passed
// (<reason>)" or "<rep> did not answer in time". name renders the rep; the
// reason is shown as it is (escape it first for chat).
func (t TriedOffer) Explain(name func(RepRef) string) string {
	s := name(t.Rep) + " " + Availability{Skip: t.Ending}.describe(time.UTC)
	if t.Reason != "" {
		s += " (" + t.Reason + ")"
	}
	return s
}

// describe words the reason a rep was skipped.
func (a Availability) describe(loc *time.Location) string {
	switch a.Skip {
	case SkipAway:
		s := "away"
		if !a.Until.IsZero() {
			s += " until " + a.Until.In(loc).Format("Mon 2 Jan")
		}
		if a.Detail != "" {
			s += " (" + a.Detail + ")"
		}
		return s
	case SkipOutsideHours:
		return "outside hours (back " + a.Until.In(loc).Format("Mon 15:04") + ")"
	case SkipAtCapacity:
		return "at capacity"
	case SkipPassed:
		return "passed"
	case SkipTimedOut:
		return "did not answer in time"
	case SkipDeactivated:
		return "deactivated"
	case SkipUnreachable:
		return "cannot be reached (" + a.Detail + ")"
	case SkipGuest:
		return "not a full member (" + a.Detail + ")"
	}
	return string(a.Skip)
}
