package report

import (
	"fmt"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
)

// routedFigures is routing over a period as /funnel, `handoff funnel` and
// the digest show it, kept apart from claim-to-contact: a field with the
// team's part (leads opened to the channel because nobody accepted, leads
// that waited because nobody was available) and a table with each rep's
// offers, accepts, passes, timeouts and median offer-to-accept, written
// by median. With o (the digest) the table starts with the rotation's reps
// and the leads each received against their fair share, as /routing
// counts them. r may be nil when nothing was routed.
func routedFigures(r *handoff.FunnelRouting, o *handoff.RoutingOverview, median func(*float64) string) (bot.Field, bot.Table) {
	if r == nil {
		r = &handoff.FunnelRouting{}
	}
	team := bot.Field{Key: "Leads nobody could take", Value: fmt.Sprintf("%s opened to the channel (nobody accepted) · %s waited (nobody available)",
		count(r.OpenedToChannel), count(r.Waited))}
	t := bot.Table{Title: "Routing per rep", Columns: []string{"Rep", "Offers", "Accepted", "Passed", "Timed out", "Median offer to accept"},
		Numeric: []bool{false, true, true, true, true, false}}
	if o != nil {
		t.Columns = append([]string{"Rep", "Received", "Share", "Fair share"}, t.Columns[1:]...)
		t.Numeric = append([]bool{false, true, true, true}, t.Numeric[1:]...)
	}
	stats := map[string]handoff.FunnelRepRouting{}
	for _, s := range r.PerRep {
		stats[s.Rep] = s
	}
	offers := func(key string) []string {
		s := stats[key]
		delete(stats, key)
		return []string{count(s.Offered), count(s.Accepted), count(s.Passed), count(s.TimedOut), median(s.MedianOfferToAcceptSeconds)}
	}
	if o != nil {
		for _, rep := range o.Reps {
			key := rep.Rep.Ref.Key()
			row := []string{bot.RepName(rep.Rep.Ref), fmt.Sprint(rep.Received), receivedShare(*o, rep), pct(&rep.FairShare)}
			t.Rows = append(t.Rows, append(row, offers(key)...))
		}
	}
	for _, s := range r.PerRep { // every rep without o, else those not in the rotation
		if _, left := stats[s.Rep]; !left {
			continue
		}
		row := []string{bot.RepName(handoff.ParseRepKey(s.Rep))}
		if o != nil {
			row = append(row, "–", "–", "–")
		}
		t.Rows = append(t.Rows, append(row, offers(s.Rep)...))
	}
	return team, t
}

// receivedShare is a rep's share of the leads the rotation received, "–"
// when it received none.
func receivedShare(o handoff.RoutingOverview, rep handoff.RepOverview) string {
	if o.Received == 0 {
		return "–"
	}
	return pct(&rep.Share)
}

// routedContext explains the routing figures; received adds what the
// digest's Received and Fair share count.
func routedContext(period string, received bool) string {
	s := "Routing: offers made in " + period + " and how they ended; offer to accept runs from the offer to the rep's claim, " +
		"apart from claim-to-contact. Counted for the whole team."
	if received {
		s += " Received: leads claimed or accepted in " + period + ". Fair share: of the leads first offered in " + period +
			", the rep's weight over the weights of the reps available at each offer, so time away does not count against a rep" +
			" (the weight share when no lead was offered)."
	}
	return s
}

// receivedWords says what Received and Fair share count, as /routing shows them.
func receivedWords(period string) string {
	return "Received: leads claimed or accepted in " + period + ". Fair share: the rep's weight over everyone's."
}
