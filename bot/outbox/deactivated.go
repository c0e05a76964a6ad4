package outbox

import (
	"context"
	"fmt"
	"slices"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
)

// repDeactivated delivers a handoff.OutboxRepDeactivated message (its
// payload a handoff.DeactivatedNotice) to the managers' channel of every
// platform that has one, rendered from the leads as they are now, and
// records it as shown for each lead it names (handoff.PostDeactivated).
func (d *Dispatcher) repDeactivated(ctx context.Context, m handoff.OutboxMessage) (string, []handoff.ChatPost, error) {
	build := func() (bot.Message, error) { return d.deactivatedNote(ctx, m.Payload) }
	return d.postToManagers(ctx, m, build, shownWithNotice(handoff.PostDeactivated, m.Payload))
}

// deactivatedNote renders the managers' note of a handoff.DeactivatedNotice
// payload from the leads it names as they are now (an erased one as
// erased, named by Handoff's id; one no longer stored is left out). A
// payload that cannot be read is a permanent error.
func (d *Dispatcher) deactivatedNote(ctx context.Context, payload string) (bot.Message, error) {
	var n handoff.DeactivatedNotice
	if err := decodePayload(payload, &n); err != nil {
		return bot.Message{}, bot.Permanent(err)
	}
	load := func(ids []int64) ([]*handoff.Lead, error) {
		var out []*handoff.Lead
		for _, id := range ids {
			lead, err := d.cfg.Store.Lead(ctx, id)
			if handoff.ErrorCode(err) == handoff.ENOTFOUND {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("deactivated rep's lead %d: %w", id, err)
			}
			out = append(out, lead)
		}
		return out, nil
	}
	returned, err := load(n.Returned)
	if err != nil {
		return bot.Message{}, err
	}
	kept, err := load(n.Kept)
	if err != nil {
		return bot.Message{}, err
	}
	erased, err := load(n.Erased) // none in a payload queued before the field
	if err != nil {
		return bot.Message{}, err
	}
	taken, err := d.howTaken(ctx, n.Rep, slices.Concat(returned, kept, erased))
	if err != nil {
		return bot.Message{}, err
	}
	return bot.DeactivatedNote(n.Rep, n.InRotation, returned, kept, erased, taken), nil
}

// howTaken reads, from its history, how the owner of each of leads that
// another owner took since the note about deactivated rep was queued
// (bot.TakenSince) took it: claimed, or reassigned by a manager. Only those
// leads' events are read.
func (d *Dispatcher) howTaken(ctx context.Context, rep handoff.RepRef, leads []*handoff.Lead) (map[int64]handoff.Taking, error) {
	taken := map[int64]handoff.Taking{}
	for _, l := range leads {
		if !bot.TakenSince(rep, l) {
			continue
		}
		events, err := d.cfg.Store.Events(ctx, l.ID)
		if err != nil {
			return nil, fmt.Errorf("deactivated rep's lead %d: %w", l.ID, err)
		}
		taken[l.ID] = handoff.HowTaken(events, l.Owner)
	}
	return taken, nil
}
