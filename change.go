package handoff

import (
	"encoding/json"
	"fmt"
	"time"
)

// This file decides the chat work a change to a lead causes. Every change
// (intake, a claim, a click in chat, the SLA clock, an erasure) goes through
// one of these functions, and the store saves the lead, the events and the
// outbox messages they return in one transaction.

// NewChange returns the events of a change to l together with the chat work
// they cause: an announcement when the lead became an SQL (none when it
// became one from history, without a claim deadline: asHistory), an update of
// every message that showed it to the erased view when it was erased, a
// refresh of its posted messages after any other change of a lead that has
// been an SQL, and nothing otherwise (no events, or a lead that never
// reached the sales channel). When the change ended an offer (the lead left
// the SQL stage while offered: closeOffer), it adds the update of the
// offered rep's direct message and, unless that rep now owns the lead (they
// accepted it, or a manager reassigned it to them), the refund of the
// offer's credits: a lead the rep never got does not count as received.
func NewChange(l *Lead, events []Event) LeadChange {
	change := LeadChange{Events: events}
	if len(events) == 0 || l.SQLAt == nil {
		return change
	}
	kind := OutboxRefreshLead
	for _, e := range events {
		if e.Kind == EventErased {
			kind = OutboxEraseLead
			break
		}
		if e.Kind == EventStage && e.Stage == StageSQL {
			if l.ClaimDueAt == nil { // an SQL from history (asHistory): never announced
				return change
			}
			kind = OutboxAnnounceLead
			if l.Offer != nil && l.Offer.State == OfferPending {
				kind = OutboxRouteLead // routing announces it once it decided
			}
			break
		}
	}
	change.Outbox = []OutboxMessage{{Kind: kind, LeadID: l.ID}}
	msgs, refund := l.takeOfferEnd()
	change.Outbox = append(change.Outbox, msgs...)
	change.Credits = refund
	return change
}

// Claim makes owner the owner of l at now if it is an unclaimed SQL, and
// returns the change: the claimed stage event and the refresh of its chat
// posts. It returns false and changes nothing for any other lead. The
// store's ClaimLead repeats the state change as one conditional SQL UPDATE,
// so that of concurrent claims exactly one wins; storage's
// TestRulesWrittenTwiceAgree runs both on the same cases. An SQL that
// someone held unclaimed (a rep an intake named, owner_email) changes hands
// as a reassign does: a contact promise settled by then goes on counting
// for them (handOver), not for nobody. The claim leaves the contact
// deadline as it was, counted from the SQL's arrival. An erased lead is
// never claimed (TakeUpRefused), nor is it in the claim's UPDATE. The claim
// is late as p's clock judges it at now: under ExcuseSystemDelay a claim
// of an SQL whose card has not been shown in its cycle is never late
// (ClaimExcused: the clock holds its deadline moved past now), and the
// lead keeps that deadline (ClaimDueAtNow), so claimed_at and
// claim_due_at agree that the claim was in time.
func (l *Lead) Claim(owner Owner, now time.Time, p Policy, actor string) (LeadChange, bool) {
	if l.Stage != StageSQL || l.ErasedAt != nil {
		return LeadChange{}, false
	}
	plan, err := PlanTransition(l.Stage, l.Reached, StageClaimed)
	if err != nil {
		return LeadChange{}, false
	}
	if l.Owner != (Owner{}) {
		l.handOver(now)
	}
	events := l.EnterStages(plan, now, actor, nil, p)
	l.Owner = owner
	l.UpdatedAt = now
	return NewChange(l, events), true
}

// RecordOwnerEmail records owner's email, looked up on owner's platform
// after the claim was acknowledged, while that user still owns l, and
// returns the change: a refresh of the lead's cards on the other platforms
// of platforms, which name the owner by email (the owner's own platform
// mentions them). It returns no change when the lead changed hands or
// already has the email.
func (l *Lead) RecordOwnerEmail(owner Owner, platforms []string) LeadChange {
	var change LeadChange
	if l.Owner.Platform != owner.Platform || l.Owner.UserID != owner.UserID || l.Owner.Email == owner.Email {
		return change
	}
	l.Owner.Email = owner.Email
	for _, p := range platforms {
		if p != owner.Platform {
			change.Outbox = append(change.Outbox, OutboxMessage{Kind: OutboxRefreshLead, LeadID: l.ID, Platform: p})
		}
	}
	return change
}

// FireSLA ticks the lead's SLA clock at now (see TickSLA) and returns the
// change: a reminder, breach or release event per action, the owner's
// reminder and the managers' escalation messages, and a refresh of the
// channel card when it shows a breach or a release. It returns the actions
// taken; an empty change means nothing was due.
func (l *Lead) FireSLA(now time.Time, p Policy) (LeadChange, []SLAAction, error) {
	stage := l.Stage
	actions := l.TickSLA(now, p)
	var change LeadChange
	refresh := false
	for _, a := range actions {
		ev, msg, err := slaRecord(l, stage, a, now)
		if err != nil {
			return LeadChange{}, nil, err
		}
		change.Events = append(change.Events, ev)
		if msg.Kind == OutboxRefreshLead {
			refresh = true
			if home := HomeRefresh(a.Owner); home != nil && a.Kind == SLARelease {
				change.Outbox = append(change.Outbox, *home) // the released lead leaves its owner's home
			}
			continue
		}
		change.Outbox = append(change.Outbox, msg)
		refresh = refresh || msg.Kind == OutboxEscalate
	}
	if refresh {
		// The channel card shows the breach (or the release) too.
		change.Outbox = append(change.Outbox, OutboxMessage{Kind: OutboxRefreshLead, LeadID: l.ID})
	}
	return change, actions, nil
}

// slaRecord turns one SLA action on lead (at stage before the tick) into
// its event and outbox message.
func slaRecord(lead *Lead, stage Stage, a SLAAction, now time.Time) (Event, OutboxMessage, error) {
	late := now.Sub(a.Due).Round(time.Second)
	details := map[string]string{"due": a.Due.UTC().Format(time.RFC3339)}
	if a.Owner.UserID != "" || a.Owner.Email != "" {
		details["owner"] = a.Owner.Platform + ":" + a.Owner.UserID
	}
	ev := Event{LeadID: lead.ID, Stage: stage, At: now, Actor: ActorSystem, Details: details}
	msg := OutboxMessage{LeadID: lead.ID}
	switch a.Kind {
	case SLARemind:
		ev.Kind = EventReminder
		msg.Kind, msg.Platform = OutboxRemind, a.Owner.Platform
	case SLAEscalateClaim, SLAEscalateContact:
		ev.Kind = EventBreach
		details["deadline"] = map[SLAActionKind]string{SLAEscalateClaim: "claim", SLAEscalateContact: "contact"}[a.Kind]
		details["late"] = late.String()
		msg.Kind = OutboxEscalate
	case SLARelease:
		ev.Kind, ev.Stage = EventRelease, StageSQL
		details["reason"] = "contact deadline missed"
		msg.Kind = OutboxRefreshLead
		return ev, msg, nil
	default:
		return ev, msg, fmt.Errorf("unknown SLA action %q", a.Kind)
	}
	payload, err := json.Marshal(SLANotice{Action: a.Kind, Due: a.Due.UTC(), At: now.UTC(), Owner: a.Owner})
	if err != nil {
		return ev, msg, err
	}
	msg.Payload = string(payload)
	return ev, msg, nil
}

// TakeUpRefused returns the ECONFLICT error that refuses giving lead l to a
// rep (verb says how: "claimed", "reassigned") when its personal data was
// erased (the person asked to be forgotten, or the retention period ran
// out), and nil otherwise: there is no one to contact, and a claim would
// start a contact deadline nobody can meet. Closing an erased
// lead its owner holds already (won, lost, recycled) is not refused. The
// lead is named as bot.LeadRef names an erased one.
func (l *Lead) TakeUpRefused(verb string) error {
	if l.ErasedAt == nil {
		return nil
	}
	return Errorf(ECONFLICT, "Lead %d (personal data erased) cannot be %s: there is no one to contact any more.", l.ID, verb)
}
