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
// records it (handoff.PostDeactivated) for each lead it names that is
// stored, an erased one named by its id included, with the fingerprint of
// what it posted (ChatPost.Shown): an erasure of one, or any other change
// of one (its refresh: notesOf), renders it again.
func (d *Dispatcher) repDeactivated(ctx context.Context, m handoff.OutboxMessage) (string, []handoff.ChatPost, error) {
	var named []int64
	build := func() (msg bot.Message, err error) {
		msg, named, err = d.renderDeactivated(ctx, m.Payload)
		return msg, err
	}
	shown := shownWithNotice(handoff.PostDeactivated, m.Payload)
	return d.postToManagers(ctx, m, build, func(msg bot.Message, platform, channel, id string) []handoff.ChatPost {
		fp := NoteFingerprint(msg)
		msg.Leads = named
		posts := shown(msg, platform, channel, id)
		for i := range posts {
			posts[i].Shown = fp
		}
		return posts
	})
}

// deactivatedNote renders the managers' note of a handoff.DeactivatedNotice
// payload from the leads it names as they are now (an erased one as
// erased, named by Handoff's id; one no longer stored is left out). A
// payload that cannot be read is a permanent error.
func (d *Dispatcher) deactivatedNote(ctx context.Context, payload string) (bot.Message, error) {
	msg, _, err := d.renderDeactivated(ctx, payload)
	return msg, err
}

// renderDeactivated is deactivatedNote, which also returns the ids of the
// leads the note names that are stored.
func (d *Dispatcher) renderDeactivated(ctx context.Context, payload string) (bot.Message, []int64, error) {
	var n handoff.DeactivatedNotice
	if err := decodePayload(payload, &n); err != nil {
		return bot.Message{}, nil, bot.Permanent(err)
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
		return bot.Message{}, nil, err
	}
	kept, err := load(n.Kept)
	if err != nil {
		return bot.Message{}, nil, err
	}
	erased, err := load(n.Erased) // none in a payload queued before the field
	if err != nil {
		return bot.Message{}, nil, err
	}
	all := slices.Concat(returned, kept, erased)
	taken, err := d.howTaken(ctx, n.Rep, all)
	if err != nil {
		return bot.Message{}, nil, err
	}
	return bot.DeactivatedNote(n.Rep, n.InRotation, returned, kept, erased, taken), bot.LeadIDs(all), nil
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

// notesOfLead delivers a handoff.OutboxNotesOfLead message: each posted
// managers' note about a deactivated rep that names the lead (of
// m.Platform only, when set) is rendered again from its leads as they are
// now and updated when it shows otherwise (notesOf). The store queues it
// when a note is recorded after one of its leads changed; earlier versions
// queued it after a manager's action in chat.
func (d *Dispatcher) notesOfLead(ctx context.Context, m handoff.OutboxMessage) (string, []handoff.ChatPost, error) {
	updated, gone, err := d.notesOf(ctx, m.LeadID, m.Platform)
	if err != nil {
		return "", nil, err
	}
	return fmt.Sprintf("updated %d, gone %d", updated, gone), nil, nil
}
