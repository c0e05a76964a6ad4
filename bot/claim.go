package bot

import (
	"context"
	"errors"
	"fmt"

	"github.com/handoff/handoff"
)

// Claim makes the actor the owner of lead id if it is still an unclaimed
// SQL. The store decides atomically, so of any number of concurrent clicks
// exactly one wins: the winner's claim refreshes the lead's chat posts and
// sends the winner a direct message with the lead's details.
//
// A repeated click by the owner changes nothing and returns nil (its
// delivery, if the platform may deliver it again, is recorded: a delivery
// again after a release must not claim). Anyone else gets an ECONFLICT
// error naming the owner (or the lead's stage), which Act turns into a
// private notice; so does anyone claiming an SQL whose personal data was
// erased (handoff.Lead.TakeUpRefused). Other errors are the store's.
func (b *Bot) Claim(ctx context.Context, a Actor, id int64) error {
	return b.claim(ctx, a, id, false)
}

// errOfferRanOut refuses a claim checked against an offer whose time is
// up but whose routing step has not been taken yet (the scheduler late).
var errOfferRanOut = errors.New("bot: the offer ran out")

// claim is Claim. A click on a lead whose offer ran out (Offer.RanOut)
// takes the routing step the scheduler would take (the next rep offered,
// or the lead opened to everyone) and is then checked against the offer
// as it stands, once (stepped): an offer's end is never late for a click.
func (b *Bot) claim(ctx context.Context, a Actor, id int64, stepped bool) error {
	now := b.now()
	// Looking the email up is a platform call: unless an earlier lookup
	// knows it, it is done after the acknowledgement, through the outbox.
	email, known := b.cachedEmail(a.Platform, a.UserID)
	owner := handoff.Owner{Platform: a.Platform, UserID: a.UserID, Email: email}
	// The store reads the lead, lets offeredElsewhere check it, and claims
	// it at the routing step that check read: an offer that timed out or
	// was passed on meanwhile is not taken. Most clicks of a race arrive
	// after the winner: the read answers them without a write.
	step := 0
	var refused error
	// The new owner's direct message (and the lookup of their email) is
	// queued in the claim's commit.
	welcome := func(l *handoff.Lead) []handoff.OutboxMessage {
		msgs, err := b.welcomeOwner(a, id, OwnerDM(l, now, b.cfg.Policy), !known)
		if err != nil { // the claim stands; the owner still sees it in the channel
			b.logger.ErrorContext(ctx, "bot: queue owner DM", "lead", id, "err", err)
		}
		return msgs
	}
	var ranOut handoff.RepRef // the rep whose offer ran out, when one did
	lead, won, err := b.cfg.Store.ClaimLeadIf(ctx, id, owner, now, b.cfg.Policy, a.String(), a.delivery(), func(l *handoff.Lead) error {
		step = l.Offer.Step()
		if l.Stage == handoff.StageSQL {
			if refused = l.TakeUpRefused("claimed"); refused != nil {
				return refused
			}
		}
		if !stepped && l.Stage == handoff.StageSQL && l.Offer.RanOut(now) {
			ranOut, refused = l.Offer.Rep, errOfferRanOut
			return refused
		}
		refused = b.offeredElsewhere(ctx, a, l)
		return refused
	}, welcome)
	if errors.Is(refused, errOfferRanOut) {
		if err := b.Route(ctx, id); err != nil {
			return fmt.Errorf("bot: claim lead %d for %s: %w", id, a, err)
		}
		err := b.claim(ctx, a, id, true)
		if handoff.ErrorCode(err) == handoff.ECONFLICT && b.isRep(ctx, a, ranOut) {
			if l, lerr := b.cfg.Store.Lead(ctx, id); lerr == nil && l.Stage == handoff.StageSQL {
				return b.movedOn(l) // their offer ran out: it moved on
			}
		}
		return err
	}
	if refused != nil {
		return refused
	}
	if err != nil {
		return fmt.Errorf("bot: claim lead %d for %s: %w", id, a, err)
	}
	if !won {
		switch {
		case isOwner(lead, a):
			return b.recordDelivery(ctx, a)
		case lead.Stage == handoff.StageSQL && lead.ErasedAt != nil:
			return lead.TakeUpRefused("claimed") // erased after the click's read
		case lead.Stage == handoff.StageSQL && lead.Offer.Step() != step:
			return b.movedOn(lead)
		default:
			return handoff.Errorf(handoff.ECONFLICT, "%s", TooLate(lead))
		}
	}
	b.logger.InfoContext(ctx, "bot: lead claimed", "lead", id, "owner", a.String())
	return nil
}

// movedOn is the refusal of a claim checked against an offer that moved on
// (timed out, passed, opened) before the claim was written.
func (b *Bot) movedOn(l *handoff.Lead) error {
	now := "Claim it again if you still want it."
	if l.Offer.Offered() {
		now = fmt.Sprintf("It is offered to %s until %s now.", RepRef(l.Offer.Rep), Clock(l.Offer.Until, b.now(), b.cfg.Policy))
	}
	return handoff.Errorf(handoff.ECONFLICT, "Sorry, the offer of %s moved on before your click arrived, so it is not yours. %s", LeadRef(l), now)
}

// welcomeOwner returns the new owner's direct message and, when lookUp
// and the platform has a directory, the lookup of their email.
func (b *Bot) welcomeOwner(a Actor, id int64, dm Message, lookUp bool) ([]handoff.OutboxMessage, error) {
	var msgs []handoff.OutboxMessage
	if lookUp && b.cfg.Directory[a.Platform] != nil {
		m, err := noticeMessage(handoff.OutboxOwnerEmail, a.Platform, Envelope{User: a.UserID}, id)
		if err != nil {
			return nil, fmt.Errorf("bot: welcome of %s to lead %d: %w", a, id, err)
		}
		msgs = append(msgs, m)
	}
	m, err := noticeMessage(handoff.OutboxDirect, a.Platform, Envelope{User: a.UserID, Message: dm}, id)
	if err != nil {
		return nil, fmt.Errorf("bot: welcome of %s to lead %d: %w", a, id, err)
	}
	return append(msgs, m), nil
}

// isOwner reports whether the actor owns the lead.
func isOwner(l *handoff.Lead, a Actor) bool {
	return l.Owner.UserID != "" && l.Owner.UserID == a.UserID && (l.Owner.Platform == "" || l.Owner.Platform == a.Platform)
}
