package report

import (
	"context"
	"fmt"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
)

// RoutingMessage is the /routing answer: how new SQLs find their owner, and
// for each rep of the rotation their weight, whether they can be offered a
// lead now (and if not why, until when), and the leads they received in
// the period against their fair share. It is private.
func RoutingMessage(o handoff.RoutingOverview, p handoff.Policy) bot.Message {
	r := o.Routing
	m := bot.Message{
		Summary: fmt.Sprintf("Routing: %s, %s, %s %s", modeWords(r.Mode), bot.Count(len(o.Reps), "rep", "reps"),
			bot.Count(o.Received, "lead received", "leads received"), o.Period.Label),
		Header:  "🔀 Routing",
		Private: true,
	}
	var how string
	if r.Mode == handoff.RouteRoundRobin {
		how = fmt.Sprintf("*Round robin*: each new SQL is offered to one available rep at a time for %s, fairly by weight; "+
			"after %s it opens to the whole channel.", durationWords(r.OfferFor), bot.Count(r.OfferRounds, "offer", "offers"))
		if r.MaxOpenPerRep > 0 {
			how += fmt.Sprintf(" A rep with %s is skipped.", bot.Count(r.MaxOpenPerRep, "open lead", "open leads"))
		}
		if r.AccountOwnerFirst {
			how += " A lead of an account a rep already owns goes to that rep first."
		}
	} else {
		how = "*Claim*: every new SQL goes to the sales channel and the first click wins."
	}
	m.Sections = []bot.Section{{Text: how}}
	if len(o.Reps) == 0 {
		m.Sections = append(m.Sections, bot.Section{Text: "No reps are listed in the agreement's `routing.reps`."})
		return m
	}
	t := bot.Table{Title: "Reps, received " + periodSpan(o.Period, p),
		Columns: []string{"Rep", "Weight", "Now", "Open", "Received", "Share", "Fair share"},
		Numeric: []bool{false, true, false, true, true, true, true}}
	for _, rep := range o.Reps {
		now := rep.Availability.Words(p.Location)
		if rep.Availability.Available() {
			now = "✅ " + now
		} else {
			now = "⏸ " + bot.Escape(now)
		}
		t.Rows = append(t.Rows, []string{bot.RepName(rep.Rep.Ref), fmt.Sprint(rep.Rep.Weight), now,
			fmt.Sprint(rep.OpenLeads), fmt.Sprint(rep.Received), receivedShare(o, rep), pct(&rep.WeightShare)})
	}
	m.Tables = []bot.Table{t}
	m.Context = []string{receivedWords(o.Period.Label) + " Times are " + zoneName(p) + "."}
	return m
}

func modeWords(m handoff.RoutingMode) string {
	if m == handoff.RouteRoundRobin {
		return "round robin"
	}
	return "claim"
}

func durationWords(d time.Duration) string {
	switch {
	case d > 0 && d%time.Hour == 0:
		return fmt.Sprintf("%d h", d/time.Hour)
	case d > 0 && d%time.Minute == 0:
		return fmt.Sprintf("%d min", d/time.Minute)
	}
	return d.String()
}

// RoutingStore is what /routing and GET /api/routing read; *storage.Store
// implements it.
type RoutingStore interface {
	RepStates(ctx context.Context) (map[string]handoff.RepState, error)
	ReceivedLeads(ctx context.Context, period handoff.Period) (map[string]int, error)
}

// Routing builds the routing overview at now: each rep's state now and the
// leads received this week (in the agreement's time zone).
func Routing(ctx context.Context, s RoutingStore, p handoff.Policy, now time.Time) (handoff.RoutingOverview, error) {
	week, err := handoff.ParsePeriod("week", now, p.Location)
	if err != nil {
		return handoff.RoutingOverview{}, fmt.Errorf("report: routing: %w", err)
	}
	states, err := s.RepStates(ctx)
	if err != nil {
		return handoff.RoutingOverview{}, fmt.Errorf("report: routing: %w", err)
	}
	received, err := s.ReceivedLeads(ctx, week)
	if err != nil {
		return handoff.RoutingOverview{}, fmt.Errorf("report: routing: %w", err)
	}
	return p.Routing.Overview(states, received, week, now, p.Location), nil
}

// routing answers /routing (Teams: routing); it takes no arguments but help.
func (r *Reports) routing(ctx context.Context, args []string) (bot.Message, error) {
	switch {
	case len(args) == 1 && isHelp(args[0]):
		return RoutingHelp(), nil
	case len(args) > 0:
		return bot.Message{}, handoff.Errorf(handoff.EINVALID, "`/routing` takes no arguments. It shows each rep's weight, "+
			"whether they can be offered a lead now, and the leads they received this week against their fair share.")
	}
	o, err := Routing(ctx, r.Store, r.Policy, r.now())
	if err != nil {
		return bot.Message{}, err
	}
	return RoutingMessage(o, r.Policy), nil
}

// RoutingHelp is the answer to `/routing help`.
func RoutingHelp() bot.Message {
	return bot.Notice("*/routing* shows how new SQLs find their owner and, for each rep of the agreement's rotation, " +
		"their weight, whether they can be offered a lead now (away, outside their hours, at capacity), and the leads " +
		"they received this week against their fair share. `/away` and `/back` set your own time off.")
}
