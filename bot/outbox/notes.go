package outbox

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
)

// This file keeps the managers' notes about a deactivated rep
// (handoff.PostDeactivated) true to the leads they name. Every change of a
// lead in chat queues the refresh of its chat messages
// (handoff.OutboxRefreshLead: a claim, a release, a reassign, a stage from
// chat, the API, a CRM or an import, the SLA clock's release and
// escalations; handoff.NotesRefresh adds one to an input that changed only
// what a note names), and the refresh's delivery renders the notes that
// name the lead again after its cards (notesOf), with one more read, of the
// lead's lead_messages by its lead_id index: nothing is added to the change
// itself, the claim's hot path included. A note is updated only when it
// renders otherwise than it shows (ChatPost.Shown, its fingerprint as last
// posted or updated), so a refresh that changed nothing a note shows (a
// first contact, a reminder, a score) calls no platform.

// NoteFingerprint is what a rendered managers' note is compared by: a hash
// of the platform-neutral message, which each platform renders alike every
// time, without the record of the leads it shows (Leads, ReadAt). It is
// never empty and never begins with "~" (a claim token).
func NoteFingerprint(msg bot.Message) string {
	msg.Leads, msg.ReadAt = nil, time.Time{}
	b, err := json.Marshal(msg)
	if err != nil { // a message is plain data; were it not, the note is always updated
		return "unencodable"
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// errNoteUnreadable marks a note whose payload cannot be read
// (bot.Permanent): it cannot be rendered again.
var errNoteUnreadable = errors.New("note cannot be rendered again")

// notesOf renders again each posted managers' note that names lead leadID
// (of platform only, when set) and updates those that render otherwise
// than they show (updateNote), and returns how many it updated and how
// many the platform no longer has. A note whose payload cannot be read is
// left as it is; a channel that refuses the update (the app is no longer
// in it) gives the work up as refused there (bot.RefusedBy), to be queued
// again when the app is back, once the other notes are updated; any other
// failure is returned at once, and the whole work retried, which finds the
// notes already updated as they show.
func (d *Dispatcher) notesOf(ctx context.Context, leadID int64, platform string) (updated, gone int, err error) {
	posts, err := d.cfg.Store.LeadMessages(ctx, leadID)
	if err != nil {
		return 0, 0, err
	}
	var refused error // the first channel that refused an update
	for _, p := range posts {
		if _, ok := d.platforms[p.Platform]; !ok || p.Kind != handoff.PostDeactivated || (platform != "" && platform != p.Platform) {
			continue
		}
		did, err := d.updateNote(ctx, p)
		switch {
		case err == nil:
			if did {
				updated++
			}
		case errors.Is(err, errNoteUnreadable):
		case bot.RefusedBy(err) != "":
			if refused == nil {
				refused = err
			}
		case bot.IsPermanent(err):
			gone++
		default:
			return 0, 0, fmt.Errorf("notes of lead %d: %w", leadID, err)
		}
	}
	if refused != nil {
		return 0, 0, fmt.Errorf("notes of lead %d: %w", leadID, refused)
	}
	return updated, gone, nil
}

// noteAttempts bounds how often updateNote updates a note that other
// workers claimed meanwhile before it leaves the work to the outbox's retry.
const noteAttempts = 3

// updateNote renders the managers' note p records again from its leads as
// they are and, unless the note shows that already, updates it, and
// reports whether it called the platform. A render the same as p.Shown,
// which the store still holds after the render, is shown: nothing is
// called. An update claims the note first (ChatPost.Shown set to a token
// of this attempt, compare-and-set: Store.SetNoteShown), renders it after
// the claim, updates it, and sets the fingerprint of what it posted only
// if the token is still there. A worker that finds its token gone lost the
// note to another worker that claimed it after, and whose update may have
// landed before its own: it updates again, with a render after a new
// claim, up to noteAttempts times; after that it leaves the fingerprint
// unknown (""), so that the next render updates the note, and returns an
// error for the outbox to retry. So whatever replicas update one note at
// once, the last update to land is a render made after the last change
// some refresh saw, and a note's fingerprint is never that of a render it
// does not show. A render that fails, or an update the platform refuses,
// leaves the token: the fingerprint is unknown. A payload that cannot be
// read is errNoteUnreadable.
func (d *Dispatcher) updateNote(ctx context.Context, p handoff.ChatPost) (bool, error) {
	t := d.platforms[p.Platform]
	msg, err := d.renderNote(ctx, p)
	if err != nil {
		return false, err
	}
	was := p.Shown // as read with the lead's messages, before the render
	if fp := NoteFingerprint(msg); fp == was {
		now, err := d.cfg.Store.NoteShown(ctx, p.Platform, p.MessageID)
		if err != nil {
			return false, fmt.Errorf("note %s in %s: %w", p.MessageID, p.Platform, err)
		}
		if now == fp { // no update since the render: it shows this
			return false, nil
		}
		was = now
	}
	anyWas := false
	for attempt := 1; ; attempt++ {
		token, err := claimToken()
		if err != nil {
			return false, err
		}
		claimed, err := d.cfg.Store.SetNoteShown(ctx, p.Platform, p.MessageID, was, token, anyWas)
		if err == nil && !claimed && !anyWas {
			// Changed since it was read: another worker's update, or its
			// claim. Take it over, not knowing what the note shows.
			was = ""
			claimed, err = d.cfg.Store.SetNoteShown(ctx, p.Platform, p.MessageID, "", token, true)
		}
		if err != nil {
			return false, fmt.Errorf("claim note %s in %s: %w", p.MessageID, p.Platform, err)
		}
		if !claimed { // its records are gone: update it untracked
			token = ""
		}
		if msg, err = d.renderNote(ctx, p); err != nil {
			return false, err
		}
		fp := NoteFingerprint(msg)
		if was != "" && fp == was && token != "" { // it shows this already
			if _, err := d.cfg.Store.SetNoteShown(ctx, p.Platform, p.MessageID, token, was, false); err != nil {
				return false, fmt.Errorf("note %s in %s: %w", p.MessageID, p.Platform, err)
			}
			return false, nil // a worker that claimed it since renders it after this
		}
		err = d.call(ctx, p.Platform, "update", func(ctx context.Context) error {
			return t.Platform.Update(ctx, p.Channel, p.MessageID, msg)
		})
		if err != nil {
			return false, fmt.Errorf("update note %s in %s %s: %w", p.MessageID, p.Platform, p.Channel, err)
		}
		if token == "" {
			return true, nil
		}
		kept, err := d.cfg.Store.SetNoteShown(ctx, p.Platform, p.MessageID, token, fp, false)
		if err != nil {
			return true, fmt.Errorf("note %s in %s updated: %w", p.MessageID, p.Platform, err)
		}
		if kept {
			return true, nil
		}
		if attempt == noteAttempts {
			if _, err := d.cfg.Store.SetNoteShown(ctx, p.Platform, p.MessageID, "", "", true); err != nil {
				return true, fmt.Errorf("note %s in %s updated: %w", p.MessageID, p.Platform, err)
			}
			return true, fmt.Errorf("note %s in %s: updated by other workers at the same time %d times", p.MessageID, p.Platform, attempt)
		}
		was, anyWas = "", true
	}
}

// renderNote renders the managers' note p records from its payload and
// the leads as they are; a payload that cannot be read is
// errNoteUnreadable.
func (d *Dispatcher) renderNote(ctx context.Context, p handoff.ChatPost) (bot.Message, error) {
	msg, err := d.deactivatedNote(ctx, p.Notice)
	if bot.IsPermanent(err) {
		return bot.Message{}, fmt.Errorf("note %s in %s: %w: %w", p.MessageID, p.Platform, errNoteUnreadable, err)
	}
	if err != nil {
		return bot.Message{}, fmt.Errorf("note %s in %s: %w", p.MessageID, p.Platform, err)
	}
	return msg, nil
}

// claimToken returns a token no other claim holds, which no fingerprint
// equals ("~" and random hex).
func claimToken() (string, error) {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("note claim token: %w", err)
	}
	return "~" + hex.EncodeToString(b[:]), nil
}
