package bot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/handoff/handoff"
)

// Action ids of the buttons in an offer's direct message.
const (
	// ActionAccept claims the offered lead (the same atomic claim).
	ActionAccept = "lead.accept"
	// ActionPass asks for an optional reason and offers the lead to the
	// next rep.
	ActionPass = "lead.pass"
)

// RepRef renders a rep: a mention on their platform, or their email.
func RepRef(r handoff.RepRef) string {
	if strings.Contains(r.ID, "@") {
		return Escape(r.ID)
	}
	return OwnerRef(handoff.Owner{Platform: r.Platform, UserID: r.ID})
}

// maxTriedShown is the most offers a card lists of a lead open to
// everyone, with how each ended; `/leads why` tells every one.
const maxTriedShown = 5

// offerLines are the lines of the channel card of an unclaimed SQL under
// round-robin routing: whom it is offered to until when, that it waits for
// an available rep, or, once open to everyone, who was offered it and how
// each offer ended (as `/leads why` words it: the first maxTriedShown,
// and how many more); none under claim routing.
func offerLines(l *handoff.Lead, now time.Time, p handoff.Policy) []string {
	switch {
	case l.Offer.Offered():
		return []string{fmt.Sprintf("🎯 Offered to %s until %s", RepRef(l.Offer.Rep), Clock(l.Offer.Until, now, p)),
			"Only they or a sales manager can take it meanwhile; it opens to everyone if nobody accepts."}
	case l.Offer != nil && l.Offer.State == handoff.OfferWaiting:
		return []string{"⏳ Waiting for an available rep; anyone can claim it meanwhile."}
	case l.Offer != nil && l.Offer.State == handoff.OfferPending:
		return []string{"⏳ Finding a rep…"}
	case l.Offer != nil && l.Offer.State == handoff.OfferOpen && len(l.Offer.Tried) > 0:
		shown := l.Offer.Tried[:min(len(l.Offer.Tried), maxTriedShown)]
		tried := make([]string, len(shown))
		for i, t := range shown {
			t.Reason = Escape(t.Reason)
			tried[i] = t.Explain(RepRef)
		}
		if left := len(l.Offer.Tried) - len(shown); left > 0 {
			tried = append(tried, AndMore(left))
		}
		return []string{"📣 Open to everyone: " + strings.Join(tried, "; ") + "."}
	}
	return nil
}

// OfferDM is rep's direct message about an offer of the lead: the lead's
// card with Accept and Pass while it is offered to them, and afterwards how
// the offer ended for them (accepted, passed, timed out, or taken by
// someone else), without buttons.
func OfferDM(l *handoff.Lead, rep handoff.RepRef, now time.Time, p handoff.Policy) Message {
	title := LeadTitle(l)
	m := Message{Sections: []Section{{Text: PersonLine(l), Fields: LeadFields(l)}}}
	ended, wasTried := l.Offer.Ended(rep)
	switch {
	case l.Stage == handoff.StageSQL && l.Offer.OfferedTo(rep):
		m.Summary = "Offered to you: " + Escape(title)
		m.Header = "🎯 Offered to you: " + title
		m.Sections = append(m.Sections, Section{Text: fmt.Sprintf("Accept by %s, or pass and it goes to the next rep.", Clock(l.Offer.Until, now, p))})
		if sla := SLALine(l, now, p); sla != "" {
			m.Context = append(m.Context, sla)
		}
		m.Buttons = []Button{
			button(ActionAccept, l, "✅ Accept", StylePrimary),
			button(ActionPass, l, "Pass", StyleDefault),
		}
	case !l.Owner.IsZero() && ownerIsRep(l.Owner, rep):
		m.Summary = "You accepted " + Escape(title)
		m.Header = "✅ Accepted: " + title
		m.Sections = []Section{{Text: "*" + Escape(title) + "* is yours: its details and contact deadline are in the next message."}}
	case wasTried && ended.Ending == handoff.SkipPassed:
		m.Summary = "You passed on " + Escape(title)
		m.Header = "↪️ Passed: " + title
		m.Sections = []Section{{Text: "You passed on *" + Escape(title) + "*; it went on to the next rep."}}
	case wasTried && ended.Ending == handoff.SkipTimedOut:
		m.Summary = "The offer of " + Escape(title) + " ran out"
		m.Header = "⌛ Offer ran out: " + title
		m.Sections = []Section{{Text: "Nobody accepted *" + Escape(title) + "* in time; it went on to the next rep."}}
	case !l.Owner.IsZero():
		m.Summary = Escape(title) + " was taken"
		m.Header = "Taken: " + title
		m.Sections = []Section{{Text: "*" + Escape(title) + "* was claimed by " + OwnerRef(l.Owner) + "."}}
	default:
		m.Summary = "The offer of " + Escape(title) + " ended"
		m.Header = "Offer ended: " + title
		m.Sections = []Section{{Text: "*" + Escape(title) + "* is no longer offered to you."}}
	}
	return m
}

// ownerIsRep reports whether owner o is rep.
func ownerIsRep(o handoff.Owner, rep handoff.RepRef) bool {
	return o.Platform == rep.Platform && o.UserID == rep.ID || o.Email != "" && strings.EqualFold(o.Email, rep.ID)
}

// isRep reports whether the actor is rep: the same platform user, the user
// the platform resolves rep's id to (a Teams Entra object id), or the user
// whose email is rep's id.
func (b *Bot) isRep(ctx context.Context, a Actor, rep handoff.RepRef) bool {
	if rep.Platform != a.Platform {
		return false
	}
	if rep.ID == a.UserID {
		return true
	}
	if u := b.cfg.Users[a.Platform]; u != nil {
		if id, err := u.UserID(ctx, rep.ID); err == nil && id == a.UserID {
			return true
		}
	}
	if strings.Contains(rep.ID, "@") {
		return strings.EqualFold(b.email(ctx, a.Platform, a.UserID), rep.ID)
	}
	return false
}

// offeredElsewhere refuses the actor a lead offered to another rep, unless
// the actor is a manager: only the offered rep or a manager may take it
// while the offer runs.
func (b *Bot) offeredElsewhere(ctx context.Context, a Actor, l *handoff.Lead) error {
	if l.Stage != handoff.StageSQL || !l.Offer.Offered() || b.isRep(ctx, a, l.Offer.Rep) {
		return nil
	}
	manager, err := b.isManager(ctx, a)
	if err != nil || manager {
		return err
	}
	return handoff.Errorf(handoff.ECONFLICT, "%s is offered to %s until %s. It opens to everyone if they pass or do not answer in time.",
		upperFirst(LeadRef(l)), RepRef(l.Offer.Rep), Clock(l.Offer.Until, b.now(), b.cfg.Policy))
}

// routeRequest is the routing agreement and the reps' states now.
func (b *Bot) routeRequest(ctx context.Context) (handoff.RouteRequest, error) {
	if b.cfg.RouteRequest != nil {
		return b.cfg.RouteRequest(ctx)
	}
	return handoff.RouteRequest{Routing: b.cfg.Policy.Routing, Location: b.cfg.Policy.Location}, nil
}

// Route takes the routing step due for lead id (a new SQL under
// round-robin routing, an offer that ran out, a waiting lead); it does
// nothing when none is due.
func (b *Bot) Route(ctx context.Context, id int64) error {
	req, err := b.routeRequest(ctx)
	if err != nil {
		return fmt.Errorf("bot: route lead %d: %w", id, err)
	}
	if _, _, _, err := b.cfg.Store.RouteLead(ctx, id, req, b.now()); err != nil {
		return fmt.Errorf("bot: route lead %d: %w", id, err)
	}
	return nil
}

// passForm asks the offered rep for an optional reason to pass.
func (b *Bot) passForm(ctx context.Context, a Actor, id int64) (*Form, error) {
	l, err := b.cfg.Store.Lead(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := b.offeredTo(ctx, a, l); err != nil {
		return nil, err
	}
	state, err := encodeJSON(formState{Lead: id, Channel: a.Channel})
	if err != nil {
		return nil, err
	}
	return &Form{ID: ActionPass, State: state, Title: "Pass", Submit: "Pass",
		Intro:  "Pass *" + Escape(LeadTitle(l)) + "* on to the next rep.",
		Inputs: []Input{{ID: "reason", Label: "Why? (optional)", Kind: InputMultiline, Optional: true}}}, nil
}

// offeredTo refuses an actor to whom the lead is not offered now.
func (b *Bot) offeredTo(ctx context.Context, a Actor, l *handoff.Lead) error {
	if l.Stage == handoff.StageSQL && l.Offer.Offered() && b.isRep(ctx, a, l.Offer.Rep) {
		return nil
	}
	return handoff.Errorf(handoff.ECONFLICT, "The offer of %s to you has ended.", LeadRef(l))
}

// Pass ends the actor's offer of lead id with their reason and offers it to
// the next rep (or opens it to the channel), in one routing step. It returns
// ECONFLICT when the lead is no longer offered to the actor.
func (b *Bot) Pass(ctx context.Context, a Actor, id int64, reason string) error {
	// The reason is held to the rule of every reason typed into a form.
	reason, _, err := checkReason(reason, "")
	if err != nil {
		return err
	}
	l, err := b.cfg.Store.Lead(ctx, id)
	if err != nil {
		return fmt.Errorf("bot: pass lead %d for %s: %w", id, a, err)
	}
	if err := b.offeredTo(ctx, a, l); err != nil {
		return err
	}
	req, err := b.routeRequest(ctx)
	if err != nil {
		return fmt.Errorf("bot: pass lead %d for %s: %w", id, a, err)
	}
	req.Pass, req.Reason = l.Offer.Rep, strings.TrimSpace(reason)
	_, _, stepped, err := b.cfg.Store.RouteLead(ctx, id, req, b.now())
	if err != nil {
		return fmt.Errorf("bot: pass lead %d for %s: %w", id, a, err)
	}
	if !stepped {
		return handoff.Errorf(handoff.ECONFLICT, "The offer of %s to you has ended.", LeadRef(l))
	}
	b.logger.InfoContext(ctx, "bot: offer passed", "lead", id, "rep", a.String())
	return nil
}
