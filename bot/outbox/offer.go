package outbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
)

// route delivers a handoff.OutboxRouteLead message: the routing step of a
// new SQL under round-robin routing, which queues its announcement.
func (d *Dispatcher) route(ctx context.Context, m handoff.OutboxMessage) (string, []handoff.ChatPost, error) {
	if d.cfg.Route == nil {
		return "left to the scheduler", nil, nil
	}
	if err := d.cfg.Route(ctx, m.LeadID); err != nil {
		return "", nil, notFoundIsPermanent(err)
	}
	return "routed", nil, nil
}

// offerPostKind is the kind of the stored direct message to rep about an
// offer: one per lead and rep, updated at every step of the offer.
func offerPostKind(rep handoff.RepRef) string {
	sum := sha256.Sum256([]byte(rep.Key()))
	return "offer:" + hex.EncodeToString(sum[:8])
}

// offer delivers a handoff.OutboxOffer message: it renders the rep's
// direct message about the lead's offer from the lead as it stands (Accept
// and Pass while offered to them, else how it ended) and updates the
// message sent earlier, or sends it.
func (d *Dispatcher) offer(ctx context.Context, m handoff.OutboxMessage) (string, []handoff.ChatPost, error) {
	var n handoff.OfferNotice
	if err := decodePayload(m.Payload, &n); err != nil {
		return "", nil, bot.Permanent(err)
	}
	t, err := d.target(n.Rep.Platform)
	if err != nil {
		return "", nil, err
	}
	lead, err := d.cfg.Store.Lead(ctx, m.LeadID)
	if err != nil {
		return "", nil, notFoundIsPermanent(err)
	}
	sent, err := d.cfg.Store.LeadMessages(ctx, m.LeadID)
	if err != nil {
		return "", nil, err
	}
	p, kind := t.Platform, offerPostKind(n.Rep)
	msg := bot.OfferDM(lead, ownerAs(ctx, p, lead, n.Rep), d.cfg.Now(), d.cfg.Policy)
	for _, s := range sent {
		if s.Kind != kind || s.Platform != p.Name() {
			continue
		}
		err := d.call(ctx, p.Name(), "update", func(ctx context.Context) error {
			return p.Update(ctx, s.Channel, s.MessageID, msg)
		})
		if err != nil {
			return "", nil, fmt.Errorf("update offer of lead %d to %s: %w", m.LeadID, handoff.RepLogKey(n.Rep.Key()), err)
		}
		return "updated", nil, nil
	}
	if !lead.Offer.OfferedTo(n.Rep) {
		return "skipped: no offer to show", nil, nil
	}
	channel, id, err := d.directOnce(ctx, m, p, n.Rep.ID, msg)
	if err != nil {
		return "", nil, fmt.Errorf("offer lead %d to %s: %w", m.LeadID, handoff.RepLogKey(n.Rep.Key()), err)
	}
	return "sent", leadMessage(m.LeadID, p.Name(), kind, channel, id), nil
}

// ownerAs returns rep named as the lead's owner when the platform resolves
// rep's id (a Teams Entra object id or email) to the owner's user id, so
// the rep who accepted sees "Accepted" rather than "Taken"; else rep.
func ownerAs(ctx context.Context, p bot.Platform, lead *handoff.Lead, rep handoff.RepRef) handoff.RepRef {
	u, ok := p.(bot.UserIDs)
	if !ok || lead.Owner.Platform != rep.Platform || lead.Owner.UserID == "" || lead.Owner.UserID == rep.ID {
		return rep
	}
	if id, err := u.UserID(ctx, rep.ID); err == nil && id == lead.Owner.UserID {
		return handoff.RepRef{Platform: rep.Platform, ID: lead.Owner.UserID}
	}
	return rep
}
