package handoff

import (
	"sort"
	"time"
)

// This file measures routing over a period: per rep, the offers received and
// how they ended, and how long an accepted offer waited, kept apart from
// claim-to-contact so a slow accept shows as the rep's and a lead nobody
// could take (opened to the channel) as the team's.

// RoutedStep is one routed event as the routing measure reads it.
type RoutedStep struct {
	LeadID int64
	At     time.Time
	// Offered is the rep the lead was offered to; zero when none.
	Offered RepRef
	// Ended is the rep whose previous offer this step ended, with Ending.
	Ended  RepRef
	Ending SkipReason
	// Opened is set when the step opened the lead to the channel.
	Opened bool
	// Waiting is set when nobody was available and the lead waits.
	Waiting bool
	// Available are the reps who could be offered the lead at this step.
	Available []RepRef
}

// RoutedClaim is one claim of a lead: when and by whom (the rep key the
// claim event records as its actor).
type RoutedClaim struct {
	LeadID int64
	At     time.Time
	Actor  string
}

// RoutingRepStats is one rep's offers in a period.
type RoutingRepStats struct {
	Rep                                 RepRef
	Offered, Accepted, Passed, TimedOut int64
	MedianOfferToAccept                 time.Duration
}

// RoutingStats is routing measured over a period: per rep (ordered by rep
// key), the leads opened to the channel after all offer rounds, and the
// leads that waited because nobody was available (each lead once).
type RoutingStats struct {
	PerRep          []RoutingRepStats
	OpenedToChannel int64
	Waited          int64
	// Pools holds, for each lead first offered in the period, the reps
	// who were available when it was: what its fair share is counted over
	// (Routing.FairShares). Their order is not defined.
	Pools [][]RepRef
}

// Empty reports whether routing did nothing in the period.
func (s RoutingStats) Empty() bool {
	return len(s.PerRep) == 0 && s.OpenedToChannel == 0 && s.Waited == 0
}

// MeasureRouting counts steps and claims of one period. An offer is accepted
// when the next claim of the lead after it is by the offered rep, with no
// routing step in between; the time from the offer to that claim is the
// rep's offer-to-accept time.
func MeasureRouting(steps []RoutedStep, claims []RoutedClaim) RoutingStats {
	type offer struct {
		rep RepRef
		at  time.Time
	}
	type repAcc struct {
		st    RoutingRepStats
		waits []time.Duration
	}
	reps := map[string]*repAcc{}
	get := func(r RepRef) *repAcc {
		a := reps[r.Key()]
		if a == nil {
			a = &repAcc{st: RoutingRepStats{Rep: r}}
			reps[r.Key()] = a
		}
		return a
	}
	type item struct {
		at    time.Time
		step  *RoutedStep
		claim *RoutedClaim
	}
	byLead := map[int64][]item{}
	var out RoutingStats
	for i := range steps {
		s := &steps[i]
		byLead[s.LeadID] = append(byLead[s.LeadID], item{at: s.At, step: s})
	}
	for i := range claims {
		c := &claims[i]
		byLead[c.LeadID] = append(byLead[c.LeadID], item{at: c.At, claim: c})
	}
	for _, items := range byLead {
		sort.SliceStable(items, func(i, j int) bool { return items[i].at.Before(items[j].at) })
		var current *offer
		waited, pooled := false, false
		for _, it := range items {
			if c := it.claim; c != nil {
				if current != nil && current.rep.Key() == c.Actor {
					a := get(current.rep)
					a.st.Accepted++
					a.waits = append(a.waits, c.At.Sub(current.at))
				}
				current = nil
				continue
			}
			s := it.step
			if !s.Ended.IsZero() {
				a := get(s.Ended)
				switch s.Ending {
				case SkipPassed:
					a.st.Passed++
				case SkipTimedOut:
					a.st.TimedOut++
				}
			}
			current = nil
			if s.Opened {
				out.OpenedToChannel++
			}
			if s.Waiting && !waited {
				waited = true
				out.Waited++
			}
			if !s.Offered.IsZero() {
				if !pooled && s.Ended.IsZero() && len(s.Available) > 0 {
					pooled = true
					out.Pools = append(out.Pools, s.Available)
				}
				get(s.Offered).st.Offered++
				current = &offer{rep: s.Offered, at: s.At}
			}
		}
	}
	keys := make([]string, 0, len(reps))
	for k := range reps {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		a := reps[k]
		a.st.MedianOfferToAccept = medianDuration(a.waits)
		out.PerRep = append(out.PerRep, a.st)
	}
	return out
}

// FairShares is each rotation rep's fair share of the leads offered in a
// period, counted as the fairness rule counts it: only over the time the
// rep was available. Each lead of pools (RoutingStats.Pools) adds to each
// rep available at its first offer the rep's weight over the weights of
// the reps available then; the sums are divided by the number of leads.
// A rep away all week has a fair share of 0, and a rep back midweek the
// share of the leads offered since. It returns nil for no leads, whose
// fair share is the weight share alone (RepOverview.WeightShare).
func (r Routing) FairShares(pools [][]RepRef) map[string]float64 {
	r = r.WithDefaults()
	weight := map[string]int{}
	for _, rep := range r.Reps {
		weight[rep.Ref.Key()] = rep.Weight
	}
	out := map[string]float64{}
	counted := 0
	for _, pool := range pools {
		total := 0
		for _, rep := range pool {
			total += weight[rep.Key()]
		}
		if total == 0 {
			continue // nobody of today's rotation was available
		}
		counted++
		for _, rep := range pool {
			if w := weight[rep.Key()]; w > 0 {
				out[rep.Key()] += float64(w) / float64(total)
			}
		}
	}
	if counted == 0 {
		return nil
	}
	for k := range out {
		out[k] /= float64(counted)
	}
	return out
}

// medianDuration is the median of ds (the mean of the middle two for an
// even count), zero for none.
func medianDuration(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	n := len(ds)
	if n%2 == 1 {
		return ds[n/2]
	}
	return (ds[n/2-1] + ds[n/2]) / 2
}

// FunnelRouting is routing in the funnel: per rep, the offers received and
// how they ended, and the median seconds from an offer to the rep's claim
// (apart from claim-to-contact, so a slow accept shows as the rep's);
// OpenedToChannel counts the leads nobody accepted and Waited those that
// waited because nobody was available (the team's).
type FunnelRouting struct {
	PerRep          []FunnelRepRouting `json:"per_rep"`
	OpenedToChannel int64              `json:"opened_to_channel"`
	Waited          int64              `json:"waited"`
}

// FunnelRepRouting is one rep's line of FunnelRouting; Rep is the rep key
// ("slack:U123" or "teams:ann@example.com").
type FunnelRepRouting struct {
	Rep                        string   `json:"rep"`
	Offered                    int64    `json:"offered"`
	Accepted                   int64    `json:"accepted"`
	Passed                     int64    `json:"passed"`
	TimedOut                   int64    `json:"timed_out"`
	MedianOfferToAcceptSeconds *float64 `json:"median_offer_to_accept_seconds"`
}

// NewFunnelRouting is s as the funnel shows it; nil when routing did
// nothing in the period.
func NewFunnelRouting(s RoutingStats) *FunnelRouting {
	if s.Empty() {
		return nil
	}
	out := &FunnelRouting{PerRep: make([]FunnelRepRouting, len(s.PerRep)), OpenedToChannel: s.OpenedToChannel, Waited: s.Waited}
	for i, r := range s.PerRep {
		out.PerRep[i] = FunnelRepRouting{Rep: r.Rep.Key(), Offered: r.Offered, Accepted: r.Accepted, Passed: r.Passed, TimedOut: r.TimedOut}
		if r.Accepted > 0 {
			sec := r.MedianOfferToAccept.Seconds()
			out.PerRep[i].MedianOfferToAcceptSeconds = &sec
		}
	}
	return out
}
