package outbox

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
)

// earlierCard delivers a handoff.OutboxEarlierCard message: it updates the
// card that the lead's new card replaced when the lead came back as an SQL
// to bot.EarlierCard, rendered from the lead and its history as they
// stand (an erased lead's to the erased view, as its erasure leaves it).
// A lead erased while the card was updated, whose erasure's own update
// may have reached the platform first, has the card updated again, to the
// erased view, so that the person never shows there once erased. A card
// the platform no longer has is skipped; a channel that refuses the
// update gives the message up as refused there (bot.ChannelRefused), to
// run again when the app is back; any other failure retries it.
func (d *Dispatcher) earlierCard(ctx context.Context, m handoff.OutboxMessage) (string, []handoff.ChatPost, error) {
	t, err := d.target(m.Platform)
	if err != nil {
		return "", nil, err
	}
	var n handoff.EarlierCardNotice
	if err := decodePayload(m.Payload, &n); err != nil {
		return "", nil, bot.Permanent(err)
	}
	name := t.Platform.Name()
	for {
		card, erased, err := d.renderEarlier(ctx, m.LeadID, n.Back)
		if err != nil {
			return "", nil, err
		}
		err = d.call(ctx, name, "update", func(ctx context.Context) error {
			return t.Platform.Update(ctx, n.Channel, n.MessageID, card)
		})
		switch {
		case bot.IsPermanent(err) && bot.RefusedBy(err) == "":
			return "gone: " + err.Error(), nil, nil
		case err != nil:
			return "", nil, fmt.Errorf("earlier card of lead %d on %s %s/%s: %w", m.LeadID, name, n.Channel, n.MessageID, err)
		case erased:
			return "updated to the erased view", nil, nil
		}
		lead, err := d.cfg.Store.Lead(ctx, m.LeadID)
		if err != nil {
			return "", nil, notFoundIsPermanent(err)
		}
		if lead.ErasedAt == nil {
			return "updated", nil, nil
		}
		// Erased since it was read: shown again as erased.
	}
}

// renderEarlier renders lead id's earlier card for its return as an SQL at
// back, and reports whether the lead is erased.
func (d *Dispatcher) renderEarlier(ctx context.Context, id int64, back time.Time) (bot.Message, bool, error) {
	lead, err := d.cfg.Store.Lead(ctx, id)
	if err != nil {
		return bot.Message{}, false, notFoundIsPermanent(err)
	}
	now := d.cfg.Now()
	if lead.ErasedAt != nil {
		return bot.EarlierCard(lead, nil, back, now, d.cfg.Policy), true, nil
	}
	var left *handoff.Event
	history, err := d.cfg.Store.Events(ctx, id)
	switch {
	case errors.Is(err, handoff.ErrCorrupt): // the card says only that it came back
	case err != nil:
		return bot.Message{}, false, err
	default:
		if e, ok := handoff.LeftBefore(history, back); ok {
			left = &e
		}
	}
	return bot.EarlierCard(lead, left, back, now, d.cfg.Policy), false, nil
}
