package handoff

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// This file applies routing decisions to a lead: the offer state a lead
// carries under round-robin routing, and the change each routing step
// causes. The store saves it with the reps' fairness balances in one
// transaction with a conditional write, so one lead is never offered to two
// reps at once.

// OfferState says where a lead stands in routing.
type OfferState string

// Offer states.
const (
	// OfferPending is a new SQL not yet routed.
	OfferPending OfferState = "pending"
	// OfferOffered is offered privately to Offer.Rep until Offer.Until.
	OfferOffered OfferState = "offered"
	// OfferWaiting means nobody was available; routing looks again at
	// Offer.Until.
	OfferWaiting OfferState = "waiting"
	// OfferOpen means the offer rounds were used up: the lead is open to the
	// whole channel with Claim.
	OfferOpen OfferState = "open"
	// OfferClaimed means the lead left the SQL stage: somebody claimed it
	// (the offered rep accepting, anyone while it was open or waiting, a
	// manager's reassign) or it moved on otherwise (contacted, returned,
	// lost, not a fit).
	OfferClaimed OfferState = "claimed"
	// OfferErased means the lead's personal data was erased while it was
	// an unclaimed SQL: its routing ended then (EndOfferOnErasure), nobody
	// claimed or accepted it, and nobody may take it up (TakeUpRefused).
	// It stays so when the lead leaves the SQL stage after (Not a fit).
	OfferErased OfferState = "erased"
)

// EventRouted records one routing step; its details hold the
// RouteDecision as JSON under "decision", the offered rep under "offered"
// and how the previous offer ended under "ending" (and "reason").
const EventRouted EventKind = "routed"

// waitingRecheck bounds how long a waiting lead sleeps when no rep says
// when they become available (a rep at capacity).
const waitingRecheck = 5 * time.Minute

// Offer is a lead's routing state under round-robin routing; a lead has
// none (nil) under claim routing.
type Offer struct {
	State OfferState
	// Rep is the rep the lead is offered to while State is OfferOffered.
	Rep RepRef
	// Until is when routing next looks at the lead: the end of the offer,
	// the next look for a waiting lead, the SQL time for a pending one;
	// zero once open, claimed or erased.
	Until time.Time
	// Tried are the reps offered the lead before, in order, with how each
	// offer ended.
	Tried []TriedOffer
	// Credits are the fairness balance changes of the current offer,
	// refunded when it is passed or times out, or when the lead leaves the
	// SQL stage to anyone but Rep (NewChange); kept as they were once the
	// offer ended.
	Credits map[string]int64
	// Seq counts the lead's routing steps; the store writes a step only if
	// Seq is still what it read.
	Seq int
	// notify is set when the offer to Rep just ended (closeOffer) and the
	// rep's direct message awaits its update, and the offer's credits
	// possibly their refund (takeOfferEnd).
	notify bool
}

// Step is the lead's routing step count (Seq), 0 when it was never routed.
func (o *Offer) Step() int {
	if o == nil {
		return 0
	}
	return o.Seq
}

// Offered reports whether the lead is offered to a rep right now.
func (o *Offer) Offered() bool { return o != nil && o.State == OfferOffered }

// RanOut reports whether the offer's time is up at now while the lead is
// still offered: the routing step that ends it is due, and until it is
// taken the offer binds nobody.
func (o *Offer) RanOut(now time.Time) bool { return o.Offered() && !now.Before(o.Until) }

// OfferedTo reports whether the lead is offered to rep right now.
func (o *Offer) OfferedTo(rep RepRef) bool { return o.Offered() && o.Rep.Key() == rep.Key() }

// Ended returns how rep's offer of the lead ended, if it did.
func (o *Offer) Ended(rep RepRef) (TriedOffer, bool) {
	if o == nil {
		return TriedOffer{}, false
	}
	for i := len(o.Tried) - 1; i >= 0; i-- {
		if o.Tried[i].Rep.Key() == rep.Key() {
			return o.Tried[i], true
		}
	}
	return TriedOffer{}, false
}

// startRouting gives a lead that just became an SQL its offer state under
// r: pending from at under round robin, none under claim routing.
func (l *Lead) startRouting(r Routing, at time.Time) {
	if r.Mode != RouteRoundRobin {
		l.Offer = nil
		return
	}
	seq := 0
	if l.Offer != nil {
		seq = l.Offer.Seq + 1
	}
	l.Offer = &Offer{State: OfferPending, Until: at, Seq: seq}
}

// RouteDue reports whether routing has a step to take for l at now: an
// unclaimed SQL whose offer ended, that waits, or that was never routed;
// never one whose personal data was erased (TakeUpRefused).
func (l *Lead) RouteDue(now time.Time) bool {
	if l.Stage != StageSQL || l.Offer == nil || l.Offer.Until.IsZero() || l.ErasedAt != nil {
		return false
	}
	switch l.Offer.State {
	case OfferPending, OfferOffered, OfferWaiting:
		return !now.Before(l.Offer.Until)
	}
	return false
}

// RouteStep ends the lead's current offer, if any, with ending (SkipPassed
// with the rep's reason, or SkipTimedOut), asks r whom to offer the lead to
// next and applies the decision at in.Now. in.Tried is filled from the lead.
// It returns the decision, the change (the routed event, the channel card
// announced or refreshed, the offered rep's direct message and the previous
// rep's updated one) and the changes to the reps' fairness balances: the
// refund of the ended offer plus the new one's. It returns false and
// changes nothing when the lead has no routing step to take (an erased
// lead has none).
func (l *Lead) RouteStep(r Routing, in RouteInput, ending SkipReason, reason string) (RouteDecision, LeadChange, map[string]int64, bool) {
	if l.Stage != StageSQL || l.Offer == nil || l.ErasedAt != nil {
		return RouteDecision{}, LeadChange{}, nil, false
	}
	o := l.Offer
	first := o.State == OfferPending
	credits := map[string]int64{}
	var previous RepRef
	details := map[string]string{}
	switch o.State {
	case OfferOffered:
		if ending == "" {
			ending = SkipTimedOut
		}
		previous = o.Rep
		o.Tried = append(o.Tried, TriedOffer{Rep: o.Rep, Ending: ending, Reason: reason})
		for k, v := range (RouteDecision{Credits: o.Credits}).Refund() {
			credits[k] += v
		}
		details["ended"] = o.Rep.Key()
		details["ending"] = string(ending)
		if reason != "" {
			details["reason"] = reason
		}
	case OfferPending, OfferWaiting:
	default:
		return RouteDecision{}, LeadChange{}, nil, false
	}
	in.Tried = o.Tried
	d := r.Decide(in)
	for k, v := range d.Credits {
		credits[k] += v
	}
	o.Seq++
	o.Rep, o.Credits = d.Offered, d.Credits
	switch {
	case d.OpenToChannel:
		o.State, o.Until = OfferOpen, time.Time{}
	case d.Waiting:
		o.State, o.Until = OfferWaiting, d.nextLook(in.Now)
	default:
		o.State, o.Until = OfferOffered, d.OfferUntil
		details["offered"] = d.Offered.Key()
	}
	decision, err := json.Marshal(d)
	if err != nil {
		panic(fmt.Sprintf("handoff: encode route decision: %v", err)) // plain data always encodes
	}
	details["decision"] = string(decision)
	details["state"] = string(o.State)
	l.UpdatedAt = in.Now
	change := LeadChange{Events: []Event{{LeadID: l.ID, Kind: EventRouted, Stage: l.Stage, At: in.Now, Actor: ActorSystem, Details: details}}}
	card := OutboxRefreshLead
	if first {
		card = OutboxAnnounceLead
	}
	change.Outbox = append(change.Outbox, OutboxMessage{Kind: card, LeadID: l.ID})
	if !previous.IsZero() {
		change.Outbox = append(change.Outbox, offerMessage(l.ID, previous))
	}
	if !d.Offered.IsZero() {
		change.Outbox = append(change.Outbox, offerMessage(l.ID, d.Offered))
	}
	return d, change, credits, true
}

// nextLook is when a waiting lead is routed again: when the first skipped
// rep becomes available, and at the latest after waitingRecheck.
func (d RouteDecision) nextLook(now time.Time) time.Time {
	next := now.Add(waitingRecheck)
	for _, c := range d.Candidates {
		if !c.Until.IsZero() && c.Until.After(now) && c.Until.Before(next) {
			next = c.Until
		}
	}
	return next
}

// OfferNotice is the payload of an OutboxOffer message: whose offer direct
// message to send or update.
type OfferNotice struct {
	Rep RepRef `json:"rep"`
}

// offerMessage queues the (re)rendering of rep's direct message about the
// offer of lead id.
func offerMessage(id int64, rep RepRef) OutboxMessage {
	payload, _ := json.Marshal(OfferNotice{Rep: rep}) // plain strings always encode
	return OutboxMessage{Kind: OutboxOffer, LeadID: id, Platform: rep.Platform, Payload: string(payload)}
}

// closeOffer ends the lead's routing when it leaves the SQL stage (claimed,
// reassigned, contacted, returned, lost; EnterStages calls it) and marks the
// offered rep's direct message, if the lead was offered, for the update
// NewChange queues; NewChange also refunds the offer's credits then, unless
// the offered rep ends up owning the lead (the owner is set after
// EnterStages, so it cannot be decided here). An offer the erasure ended
// (OfferErased) stays as it is.
func (l *Lead) closeOffer() {
	if l.Offer == nil || l.Offer.State == OfferErased {
		return
	}
	if l.Offer.Offered() {
		l.Offer.notify = true
	}
	l.Offer.State, l.Offer.Until = OfferClaimed, time.Time{}
}

// EndOfferOnErasure ends the routing of an SQL whose personal data is
// being erased, in the erasure's transaction: nobody may take it up
// (TakeUpRefused), so it is offered to no rep after. Its offer ends
// (OfferErased, no next look), whatever state it was in, and a running
// offer's credits are refunded, as when another rep claims it: the change
// to the reps' balances is returned. The offered rep's direct message is
// left to the erasure's update of every message that showed the lead
// (OutboxEraseLead), which shows it erased, without Accept or Pass; an
// update by OfferDM would name the lead by its anonymous id. It changes
// nothing for a lead that is not an SQL, and for one whose offer the
// erasure ended already (no refund twice), so storage's data migration
// runs it on the SQLs an earlier version erased without it.
func (l *Lead) EndOfferOnErasure() map[string]int64 {
	if l.Stage != StageSQL || l.Offer == nil || l.Offer.State == OfferErased {
		return nil
	}
	var refund map[string]int64
	if l.Offer.Offered() && len(l.Offer.Credits) > 0 {
		refund = RouteDecision{Credits: l.Offer.Credits}.Refund()
	}
	l.Offer.State, l.Offer.Until, l.Offer.notify = OfferErased, time.Time{}, false
	return refund
}

// takeOfferEnd returns, once, what the end of the offer that closeOffer
// left for the change causes: the update of the offered rep's direct
// message, and the refund of the offer's credits unless the offered rep
// owns the lead now (they accepted it; nil then). Called when the change is
// made, after the new owner is set.
func (l *Lead) takeOfferEnd() ([]OutboxMessage, map[string]int64) {
	if l.Offer == nil || !l.Offer.notify {
		return nil, nil
	}
	l.Offer.notify = false
	msgs := []OutboxMessage{offerMessage(l.ID, l.Offer.Rep)}
	if l.Offer.Rep.owns(l.Owner) || len(l.Offer.Credits) == 0 {
		return msgs, nil
	}
	return msgs, RouteDecision{Credits: l.Offer.Credits}.Refund()
}

// RouteRequest asks the store for one routing step of a lead.
type RouteRequest struct {
	Routing Routing
	// Location is the agreement's time zone, for reps without their own.
	Location *time.Location
	// States are the reps' states without their balances, which the store
	// adds.
	States map[string]RepState
	// Pass, when set, is the offered rep passing: the step is taken only
	// while the lead is still offered to them. Otherwise the step is taken
	// only when due (Lead.RouteDue).
	Pass RepRef
	// Reason is the passing rep's own words; may be empty.
	Reason string
}

// ParseRepKey is the inverse of RepRef.Key.
func ParseRepKey(key string) RepRef {
	platform, id, _ := strings.Cut(key, ":")
	return RepRef{Platform: platform, ID: id}
}

// RepOf returns the rep of the rotation who is the lead owner o: the same
// platform user, or a rep named by o's email.
func (r Routing) RepOf(o Owner) (Rep, bool) {
	for _, rep := range r.Reps {
		if rep.Ref.owns(o) {
			return rep, true
		}
	}
	return Rep{}, false
}

// owns reports whether r is the lead owner o: the same platform user, or
// the rep named by o's email.
func (r RepRef) owns(o Owner) bool {
	return r.Platform == o.Platform && r.ID == o.UserID && o.UserID != "" ||
		o.Email != "" && strings.EqualFold(r.ID, o.Email)
}

// freeMail are email domains shared by unrelated people: they name no
// account.
var freeMail = map[string]bool{
	"gmail.com": true, "googlemail.com": true, "outlook.com": true, "hotmail.com": true, "live.com": true,
	"msn.com": true, "yahoo.com": true, "icloud.com": true, "me.com": true, "aol.com": true,
	"proton.me": true, "protonmail.com": true, "gmx.com": true, "gmx.de": true, "gmx.net": true, "web.de": true,
	"mail.com": true, "yandex.com": true, "hotmail.dk": true, "live.dk": true,
}

// AccountOf returns the keys that tie a lead to an account, lower case:
// its company, and its email's domain unless that is a free mail provider
// (either may be ""). Only domains of letters, digits, dots and dashes count.
func AccountOf(l *Lead) (company, domain string) {
	company = strings.ToLower(strings.TrimSpace(l.Company))
	if _, d, ok := strings.Cut(strings.ToLower(strings.TrimSpace(l.Email)), "@"); ok && !freeMail[d] && d != "" &&
		strings.Trim(d, "abcdefghijklmnopqrstuvwxyz0123456789.-") == "" {
		domain = d
	}
	return company, domain
}

// Clone returns a deep copy of o (nil for nil).
func (o *Offer) Clone() *Offer {
	if o == nil {
		return nil
	}
	c := *o
	c.Tried = append([]TriedOffer(nil), o.Tried...)
	if o.Credits != nil {
		c.Credits = make(map[string]int64, len(o.Credits))
		for k, v := range o.Credits {
			c.Credits[k] = v
		}
	}
	return &c
}
