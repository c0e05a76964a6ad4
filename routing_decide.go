package handoff

import (
	"time"
)

// SkipReason says why a rep was not offered a lead.
type SkipReason string

// Skip reasons, as recorded in a routing decision.
const (
	SkipAway         SkipReason = "away"
	SkipOutsideHours SkipReason = "outside_hours"
	SkipAtCapacity   SkipReason = "at_capacity"
	SkipPassed       SkipReason = "passed"
	SkipTimedOut     SkipReason = "timed_out"
	SkipDeactivated  SkipReason = "deactivated"
	// SkipUnreachable: the rep's chat account cannot be found (a Teams rep
	// named by an email no member of the sales channel's team has), so an
	// offer would reach nobody.
	SkipUnreachable SkipReason = "unreachable"
	// SkipGuest: the rep's chat account is not a full member of the
	// workspace or tenant (a Teams guest), whom Handoff does nothing for:
	// they could neither see nor claim the lead.
	SkipGuest SkipReason = "guest"
)

// RepState is what changes about a rep over time.
type RepState struct {
	// Away is the rep's time off, nil when there is none.
	Away *Away
	// OpenLeads counts the leads the rep owns that are not yet settled.
	OpenLeads int
	// Deactivated is set when the rep's chat account was deactivated.
	Deactivated bool
	// Unreachable, when set, says why no direct message can reach the rep.
	Unreachable string
	// Guest, when set, says how the rep's chat account is not a full
	// member of the workspace or tenant (a Teams guest).
	Guest string
	// Credit is the rep's fairness balance (see Routing.Decide).
	Credit int64
}

// Availability says whether a rep can be offered a lead at a moment.
type Availability struct {
	Rep RepRef
	// Skip is empty when the rep is available.
	Skip SkipReason
	// Until is when the reason ends, when known: the end of the time off,
	// or the next opening of the rep's hours.
	Until time.Time
	// Detail adds words: the away reason, or the open-lead count.
	Detail string
}

// Available reports whether the rep can be offered a lead.
func (a Availability) Available() bool { return a.Skip == "" }

// Availability returns whether rep, in state st, can be offered a lead at
// now. Hours are read in the rep's own time zone, else in loc (the
// agreement's). Checks run in order: deactivated, guest, unreachable, away,
// outside hours, at capacity, so the recorded reason is the one that lasts
// longest.
func (r Routing) Availability(rep Rep, st RepState, now time.Time, loc *time.Location) Availability {
	a := Availability{Rep: rep.Ref}
	repLoc := rep.Location
	if repLoc == nil {
		repLoc = loc
	}
	switch {
	case st.Deactivated:
		a.Skip = SkipDeactivated
	case st.Guest != "":
		a.Skip, a.Detail = SkipGuest, st.Guest
	case st.Unreachable != "":
		a.Skip, a.Detail = SkipUnreachable, st.Unreachable
	case st.Away.Active(now):
		a.Skip, a.Until, a.Detail = SkipAway, st.Away.Until, st.Away.Reason
	case rep.Hours != nil && !rep.Hours.IsOpen(now, repLoc):
		a.Skip, a.Until = SkipOutsideHours, rep.Hours.Add(now, 0, repLoc)
	case r.MaxOpenPerRep > 0 && st.OpenLeads >= r.MaxOpenPerRep:
		a.Skip = SkipAtCapacity
	}
	return a
}

// RouteInput is what a routing decision for one lead depends on.
type RouteInput struct {
	Now time.Time
	// Location is the agreement's time zone, for reps without their own.
	Location *time.Location
	// States holds each rep's state by RepRef.Key; a missing rep has the
	// zero state.
	States map[string]RepState
	// Tried are the reps this lead was already offered, in order, with how
	// each offer ended (SkipPassed or SkipTimedOut).
	Tried []TriedOffer
	// AccountOwner is the key of the rep who owns an open or won lead of
	// the same account, or "".
	AccountOwner string
}

// TriedOffer is one earlier offer of the lead and how it ended.
type TriedOffer struct {
	Rep    RepRef
	Ending SkipReason
	// Reason is the rep's reason to pass, if they gave one.
	Reason string `json:",omitempty"`
}

// RouteDecision is one routing step of one lead: whom it was offered to,
// or why nobody, and every rep considered with the reason they were skipped.
type RouteDecision struct {
	At         time.Time
	Candidates []Availability
	// Offered is the rep the lead is offered to now; zero when none.
	Offered RepRef
	// OfferUntil is when the offer times out.
	OfferUntil time.Time
	// SameAccount is set when Offered owns the lead's account.
	SameAccount bool
	// OpenToChannel is set when the offer rounds are used up: the lead
	// goes to the whole channel with Claim.
	OpenToChannel bool
	// Waiting is set when nobody is available: the lead waits for the
	// first rep who becomes available.
	Waiting bool
	// Credits are the changes to the reps' fairness balances this decision
	// makes; Refund undoes them when the offer is passed or times out.
	Credits map[string]int64
}

// Decide picks whom to offer a lead to next.
//
// Fairness is smooth weighted round robin over the reps available at the
// moment of the decision: each available rep's balance grows by its weight,
// the chosen rep's shrinks by the sum of those weights. A rep who is away,
// off hours or at capacity gains nothing meanwhile, so the share is counted
// only over the time each rep was available and a rep back from leave resumes
// at the same share as everyone else, with no burst of catch-up leads.
// Balances sum to zero over every decision, so they stay small.
//
// A rep who passed on or let the lead time out is not offered it again.
// After OfferRounds offers the lead opens to the channel. The account owner,
// when available, is offered first; the lead counts towards their share.
func (r Routing) Decide(in RouteInput) RouteDecision {
	r = r.WithDefaults()
	d := RouteDecision{At: in.Now}
	if len(in.Tried) >= r.OfferRounds {
		d.OpenToChannel = true
		return d
	}
	tried := map[string]SkipReason{}
	for _, t := range in.Tried {
		tried[t.Rep.Key()] = t.Ending
	}
	var available []Rep
	total := int64(0)
	for _, rep := range r.Reps {
		key := rep.Ref.Key()
		a := r.Availability(rep, in.States[key], in.Now, in.Location)
		if ending, ok := tried[key]; ok && a.Available() {
			a.Skip = ending
		}
		d.Candidates = append(d.Candidates, a)
		if a.Available() {
			available = append(available, rep)
			total += int64(rep.Weight)
		}
	}
	if len(available) == 0 {
		d.Waiting = true
		return d
	}
	chosen := -1
	for i, rep := range available {
		if in.AccountOwner != "" && rep.Ref.Key() == in.AccountOwner {
			chosen, d.SameAccount = i, true
			break
		}
	}
	if chosen < 0 {
		best := int64(0)
		for i, rep := range available {
			c := in.States[rep.Ref.Key()].Credit + int64(rep.Weight)
			if chosen < 0 || c > best {
				chosen, best = i, c
			}
		}
	}
	d.Credits = map[string]int64{}
	for _, rep := range available {
		d.Credits[rep.Ref.Key()] = int64(rep.Weight)
	}
	d.Offered, d.OfferUntil = available[chosen].Ref, in.Now.Add(r.OfferFor)
	d.Credits[d.Offered.Key()] -= total
	return d
}

// Refund returns the balance changes that undo d, for an offer that was
// passed or timed out: passes and timeouts do not count as received.
func (d RouteDecision) Refund() map[string]int64 {
	out := make(map[string]int64, len(d.Credits))
	for k, v := range d.Credits {
		out[k] = -v
	}
	return out
}
