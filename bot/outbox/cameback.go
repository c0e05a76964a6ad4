package outbox

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
)

// opLink names the calls that ask a platform for a message's link
// (bot.MessageLinker), for metrics. They say nothing of the platform's
// health (noteCall): Teams builds its links from what the store keeps,
// asking Teams only once for a team added before group ids were kept.
const opLink = "link"

// earlierCard delivers a handoff.OutboxEarlierCard message: it updates the
// card that the lead's new card replaced when the lead came back as an SQL
// to bot.EarlierCard, rendered from the lead, its history and the SQL
// cycle the card had announced as they stand (an erased lead's to the
// erased view, as its erasure leaves it), linking to the new card where
// the platform can (newCardLink). A lead erased while the card was
// updated, whose erasure's own update may have reached the platform
// first, has the card updated again, to the erased view, so that the
// person never shows there once erased. A card the platform no longer has
// is skipped; a channel that refuses the update gives the message up as
// refused there (bot.ChannelRefused), to run again when the app is back;
// any other failure retries it.
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
	link := d.newCardLink(ctx, t.Platform, m.LeadID, n)
	for {
		card, erased, err := d.renderEarlier(ctx, m.LeadID, n, link)
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
			if link == "" {
				return "updated", nil, nil
			}
			return "updated, linked to the new card", nil, nil
		}
		// Erased since it was read: shown again as erased.
	}
}

// newCardLink is the URL of the new card that notice n names, for the
// earlier card of lead leadID to link to: "" when the notice names none
// (queued before notices did), or platform p cannot link to a message
// (bot.MessageLinker) or cannot tell. The new card's post is recorded in
// the transaction that queued n (handoff.CardCameBack), so it exists by
// now. A failure to ask (the platform's error, a message it no longer
// has) is logged as a warning and gives "": the card then says where its
// new card is without a link, and its update is not lost for it.
func (d *Dispatcher) newCardLink(ctx context.Context, p bot.Platform, leadID int64, n handoff.EarlierCardNotice) string {
	linker, ok := p.(bot.MessageLinker)
	if !ok || n.NewMessageID == "" {
		return ""
	}
	var link string
	err := d.call(ctx, p.Name(), opLink, func(ctx context.Context) error {
		var err error
		link, err = linker.MessageLink(ctx, n.NewChannel, n.NewMessageID)
		return err
	})
	if err != nil {
		d.logger.WarnContext(ctx, "outbox: the earlier card is updated without a link to the new card",
			"lead", leadID, "platform", p.Name(), "channel", n.NewChannel, "message", n.NewMessageID, "err", err)
		return ""
	}
	return link
}

// renderEarlier renders lead id's earlier card for its return as an SQL
// that notice n names, linking to its new card at link ("" for none), and
// reports whether the lead is erased.
func (d *Dispatcher) renderEarlier(ctx context.Context, id int64, n handoff.EarlierCardNotice, link string) (bot.Message, bool, error) {
	lead, err := d.cfg.Store.Lead(ctx, id)
	if err != nil {
		return bot.Message{}, false, notFoundIsPermanent(err)
	}
	now := d.cfg.Now()
	if lead.ErasedAt != nil {
		return bot.EarlierCard(lead, bot.Earlier{}, n.Back, now, d.cfg.Policy), true, nil
	}
	e := bot.Earlier{NewCard: link}
	history, err := d.cfg.Store.Events(ctx, id)
	switch {
	case errors.Is(err, handoff.ErrCorrupt): // the card says only that it came back
	case err != nil:
		return bot.Message{}, false, err
	default:
		if left, ok := handoff.LeftBefore(history, n.Back); ok {
			e.Left = &left
		}
	}
	if e.Owner, err = d.ownerBefore(ctx, id, n.Since); err != nil {
		return bot.Message{}, false, err
	}
	return bot.EarlierCard(lead, e, n.Back, now, d.cfg.Policy), false, nil
}

// ownerBefore is who worked lead id in its SQL cycle that began at since,
// the one its earlier card had announced: the cycle's owner as the store
// keeps it. It is nobody when since is nil (a notice queued before it was
// named) or the store keeps no such cycle (nobody claimed or contacted the
// lead in it); a failed read is an error, for the message to retry.
func (d *Dispatcher) ownerBefore(ctx context.Context, id int64, since *time.Time) (handoff.Owner, error) {
	if since == nil {
		return handoff.Owner{}, nil
	}
	c, err := d.cfg.Store.SLACycle(ctx, id, *since)
	switch {
	case handoff.ErrorCode(err) == handoff.ENOTFOUND:
		return handoff.Owner{}, nil
	case err != nil:
		return handoff.Owner{}, err
	}
	return c.Owner, nil
}
