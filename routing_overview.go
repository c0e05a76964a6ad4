package handoff

import (
	"time"
)

// RoutingOverview is what `/routing` and GET /api/routing show: the
// routing settings, and for each rep of the rotation their weight,
// whether they can be offered a lead now, and the leads they received in
// the period against their fair share.
type RoutingOverview struct {
	Routing Routing
	Period  Period
	At      time.Time
	Reps    []RepOverview
	// Received counts the leads the rotation's reps received in Period.
	Received int
}

// RepOverview is one rep's line of the RoutingOverview.
type RepOverview struct {
	Rep          Rep
	Availability Availability
	OpenLeads    int
	// Received counts the leads the rep took in the period: claimed in the
	// channel or accepted when offered.
	Received int
	// Share is Received over all the rotation received (0 when nobody
	// received any); WeightShare is the rep's weight over the rotation's.
	Share, WeightShare float64
	// FairShare is the rep's fair share of the period's leads, counted
	// only over the time the rep was available (Routing.FairShares); it is
	// WeightShare until WithFairShares counts it.
	FairShare float64
}

// WithFairShares is o with each rep's FairShare counted from shares
// (Routing.FairShares); with nil shares (no lead offered) it stays the
// weight share.
func (o RoutingOverview) WithFairShares(shares map[string]float64) RoutingOverview {
	if shares == nil {
		return o
	}
	reps := make([]RepOverview, len(o.Reps))
	for i, rep := range o.Reps {
		rep.FairShare = shares[rep.Rep.Ref.Key()]
		reps[i] = rep
	}
	o.Reps = reps
	return o
}

// Overview builds the RoutingOverview at now from the reps' states and
// the leads each received in period (both keyed by RepRef.Key). Hours are
// read in the rep's time zone, else in loc.
func (r Routing) Overview(states map[string]RepState, received map[string]int, period Period, now time.Time, loc *time.Location) RoutingOverview {
	r = r.WithDefaults()
	o := RoutingOverview{Routing: r, Period: period, At: now}
	weights := 0
	for _, rep := range r.Reps {
		weights += rep.Weight
		o.Received += received[rep.Ref.Key()]
	}
	for _, rep := range r.Reps {
		key := rep.Ref.Key()
		st := states[key]
		line := RepOverview{Rep: rep, Availability: r.Availability(rep, st, now, loc), OpenLeads: st.OpenLeads, Received: received[key]}
		if o.Received > 0 {
			line.Share = float64(line.Received) / float64(o.Received)
		}
		if weights > 0 {
			line.WeightShare = float64(rep.Weight) / float64(weights)
		}
		line.FairShare = line.WeightShare
		o.Reps = append(o.Reps, line)
	}
	return o
}

// Words says in words whether the rep can be offered a lead now, and if
// not why and until when, with times in loc: "available", "away until Thu
// 24 Dec (Skiing)", "outside hours (back Mon 09:00)".
func (a Availability) Words(loc *time.Location) string {
	if a.Available() {
		return "available"
	}
	return a.describe(locOrUTC(loc))
}

// IsEntraID reports whether s has the shape of an Entra (Azure AD) object id.
func IsEntraID(s string) bool { return entraID.MatchString(s) }
