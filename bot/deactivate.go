package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/handoff/handoff"
)

// RepChange is what a platform says changed about one of its users.
type RepChange struct {
	Platform, UserID string
	// Deleted says the account was deactivated.
	Deleted bool
	// Away is the time off the user's status reads as (see
	// handoff.AwayFromSlackStatus); nil when it reads as none.
	Away *handoff.Away
}

// RepChanged records a change of a platform user: their status as time off
// (source slack_status: it never replaces an /away, and ends when the
// status does) and their deactivation. A newly deactivated user leaves the
// rotation; their claimed leads go back to the sales channel with Claim
// (not one whose personal data was erased, which nobody could claim), and
// the managers are told which leads went back and which (past first
// contact, or erased) still name them as owner.
func (b *Bot) RepChanged(ctx context.Context, c RepChange) error {
	if b.cfg.Reps == nil || c.UserID == "" {
		return nil
	}
	key := c.Platform + ":" + c.UserID
	now := b.now()
	if c.Away != nil {
		if err := b.cfg.Reps.SetAway(ctx, key, *c.Away, now); err != nil {
			return fmt.Errorf("bot: status of %s: %w", handoff.RepLogKey(key), err)
		}
	} else if _, err := b.cfg.Reps.ClearAway(ctx, key, handoff.AwayBySlackStatus, now); err != nil {
		return fmt.Errorf("bot: status of %s: %w", handoff.RepLogKey(key), err)
	}
	changed, err := b.cfg.Reps.SetDeactivated(ctx, key, c.Deleted, now)
	if err != nil || !changed || !c.Deleted {
		return err
	}
	return b.returnLeads(ctx, c.Platform, c.UserID)
}

// returnLeads gives a deactivated user's claimed leads back to the sales
// channel and tells the managers (an OutboxRepDeactivated message, which
// names the leads by id and is rendered when it is sent): which leads went
// back, which (past first contact) still name the user as owner, and which
// still do because their personal data was erased: nobody takes those up
// (handoff.Lead.ReleaseRefused), so a manager closes them.
func (b *Bot) returnLeads(ctx context.Context, platform, userID string) error {
	rep := platform + ":" + userID
	leads, err := b.cfg.Reps.OpenLeads(ctx, userID, 500)
	if err != nil {
		return fmt.Errorf("bot: open leads of %s: %w", handoff.RepLogKey(rep), err)
	}
	var returned, kept, erased []*handoff.Lead
	held := func(l *handoff.Lead) { // a lead that still names the user as owner
		if l.ErasedAt != nil {
			erased = append(erased, l)
		} else {
			kept = append(kept, l)
		}
	}
	for _, l := range leads {
		if !namesAsOwner(l, platform, userID) {
			continue // an email match of another platform's user
		}
		if l.Stage != handoff.StageClaimed || l.ErasedAt != nil {
			held(l)
			continue
		}
		var found handoff.Lead // the lead as the update found it, when not released
		lead, err := b.cfg.Store.UpdateLead(ctx, l.ID, b.now(), func(l *handoff.Lead) (handoff.LeadChange, error) {
			events := l.Release(b.now(), handoff.ActorSystem, map[string]string{"reason": "deactivated"})
			if len(events) == 0 {
				found = *l
				return handoff.LeadChange{}, errUnchanged
			}
			return handoff.NewChange(l, events), nil
		})
		switch {
		case err == nil:
			returned = append(returned, lead)
		case errors.Is(err, errUnchanged):
			// Moved on since it was read: erased, contacted or closed.
			if found.Stage.Open() && namesAsOwner(&found, platform, userID) {
				held(&found)
			}
		default:
			return fmt.Errorf("bot: return lead %d of %s: %w", l.ID, handoff.RepLogKey(rep), err)
		}
	}
	_, inRotation := b.cfg.Policy.Routing.Rep(rep)
	if !inRotation && len(returned) == 0 && len(kept) == 0 && len(erased) == 0 {
		return nil
	}
	notice := handoff.DeactivatedNotice{Rep: handoff.RepRef{Platform: platform, ID: userID}, InRotation: inRotation,
		Returned: LeadIDs(returned), Kept: LeadIDs(kept), Erased: LeadIDs(erased)}
	payload, err := json.Marshal(notice)
	if err != nil {
		return fmt.Errorf("bot: managers' note: %w", err)
	}
	return b.cfg.Store.Enqueue(ctx, b.now(), handoff.OutboxMessage{Kind: handoff.OutboxRepDeactivated, Payload: string(payload)})
}

// DeactivatedNote tells the managers that a user was deactivated: whether
// they left the rotation, which of their leads went back to the sales
// channel, which still name them as owner (past first contact: a manager
// reassigns them) and which still do with their personal data erased
// (erased, and any kept lead erased since the note was queued: nobody
// takes those up, so a manager closes them with Lost). It is rendered from
// the leads as they are now, so it asks only what is still to do: a lead
// taken care of since the note was queued (one that went back and was
// claimed, one reassigned, one won, lost or sent back to marketing) is
// listed once, under "Since then", with what became of it, a lead that
// went back and was erased since is asked to be taken off the list with
// Not a fit (nobody can claim it), and a section whose every lead was
// taken care of goes. A lead with another owner since says how they took
// it, by its id in taken (TakenSince, handoff.HowTaken): "was claimed by
// @Bo", or "was reassigned to @Bo by a manager"; one whose history does
// not say (absent from taken) reads as before, "was claimed by @Bo" for a
// lead that went back and "was reassigned to @Bo" for one the rep kept.
// An erased lead is named by Handoff's id as LeadRef names it, never by
// its anonymous external id; the message shows the others (Message.Leads).
func DeactivatedNote(rep handoff.RepRef, inRotation bool, returned, kept, erased []*handoff.Lead, taken map[int64]handoff.Taking) Message {
	name := RepName(rep)
	text := "👋 " + name + " was deactivated"
	if inRotation {
		text += " and left the routing rotation"
	}
	text += "."
	m := Message{Summary: "A rep was deactivated: " + name, Header: "Rep deactivated"}
	m.Sections = append(m.Sections, Section{Text: text})
	var toClaim, toReassign, toClose []*handoff.Lead
	var unclaimable []*handoff.Lead // went back, erased since: Not a fit
	var done []*handoff.Lead        // taken care of since the note was queued
	var became []string             // what became of each of done
	for _, l := range returned {
		switch {
		case l.Stage.Open() && l.Owner.IsZero() && l.ErasedAt != nil:
			unclaimable = append(unclaimable, l)
		case l.Stage.Open() && l.Owner.IsZero():
			toClaim = append(toClaim, l)
		default:
			done, became = append(done, l), append(became, becameOf(l, taken[l.ID], "was claimed by "))
		}
	}
	var erasedSince []*handoff.Lead // kept leads erased since the note was queued
	for i, l := range append(slices.Clone(kept), erased...) {
		switch {
		case !l.Stage.Open() || !namesAsOwner(l, rep.Platform, rep.ID):
			done, became = append(done, l), append(became, becameOf(l, taken[l.ID], "was reassigned to "))
		case l.ErasedAt != nil && i < len(kept):
			erasedSince = append(erasedSince, l)
		case l.ErasedAt != nil:
			toClose = append(toClose, l)
		default:
			toReassign = append(toReassign, l)
		}
	}
	toClose = append(toClose, erasedSince...)
	bullet := func(l *handoff.Lead) string {
		if l.ErasedAt != nil {
			return "• 🔒 " + LeadRef(l)
		}
		m.Leads = append(m.Leads, l.ID)
		return "• *" + Escape(LeadTitle(l)) + "* (" + Escape(l.ExternalID) + ")"
	}
	list := func(ls []*handoff.Lead) string {
		var parts []string
		for _, l := range ls {
			parts = append(parts, bullet(l))
		}
		return strings.Join(parts, "\n")
	}
	names := func(n int) string { return map[bool]string{true: "names", false: "name"}[n == 1] }
	if n := len(toClaim); n > 0 {
		m.Sections = append(m.Sections, Section{Text: fmt.Sprintf("%s back in the sales channel with Claim:\n%s", Count(n, "lead", "leads"), list(toClaim))})
	}
	if n := len(unclaimable); n > 0 {
		how := "nobody can claim it, so take it off the list with Not a fit from its card"
		if n > 1 {
			how = "nobody can claim them, so take them off the list with Not a fit from their cards"
		}
		m.Sections = append(m.Sections, Section{Text: fmt.Sprintf("%s back in the sales channel, whose personal data was erased since; %s:\n%s",
			Count(n, "lead", "leads"), how, list(unclaimable))})
	}
	if n := len(toReassign); n > 0 {
		m.Sections = append(m.Sections, Section{Text: fmt.Sprintf("%s past first contact still %s them as owner; reassign from the card:\n%s",
			Count(n, "lead", "leads"), names(n), list(toReassign))})
	}
	if n := len(toClose); n > 0 {
		how := "nobody can take it over, so close it with Lost from its card"
		if n > 1 {
			how = "nobody can take them over, so close them with Lost from their cards"
		}
		m.Sections = append(m.Sections, Section{Text: fmt.Sprintf("%s whose personal data was erased still %s them as owner; %s:\n%s",
			Count(n, "lead", "leads"), names(n), how, list(toClose))})
	}
	if len(done) > 0 {
		var parts []string
		for i, l := range done {
			parts = append(parts, bullet(l)+" "+became[i])
		}
		m.Sections = append(m.Sections, Section{Text: "Since then:\n" + strings.Join(parts, "\n")})
	}
	return m
}

// namesAsOwner reports whether lead l names the platform user as its owner.
func namesAsOwner(l *handoff.Lead, platform, userID string) bool {
	return l.Owner.Platform == platform && l.Owner.UserID == userID
}

// TakenSince reports whether lead l, named in the note about deactivated
// rep, is open with another owner, whose way of taking it
// (handoff.HowTaken) the note tells.
func TakenSince(rep handoff.RepRef, l *handoff.Lead) bool {
	return l.Stage.Open() && !l.Owner.IsZero() && !namesAsOwner(l, rep.Platform, rep.ID)
}

// becameOf says what became of lead l, named in the note about a
// deactivated rep, once it no longer waits for what the note asked: "was
// won", "was closed as lost", "went back to marketing", or, open, that it
// has an owner and how they took it ("was claimed by @Bo", "was
// reassigned to @Bo by a manager"), or, when its history does not say,
// unrecorded and the owner ("was claimed by " for a lead that went back,
// "was reassigned to " for one the rep kept).
func becameOf(l *handoff.Lead, how handoff.Taking, unrecorded string) string {
	switch {
	case l.Stage == handoff.StageWon:
		return "was won"
	case l.Stage == handoff.StageLost:
		return "was closed as lost"
	case l.Stage == handoff.StageRecycled:
		return "went back to marketing"
	case !l.Stage.Open():
		return "left sales (" + string(l.Stage) + ")"
	case l.Owner.IsZero():
		return "is back in the sales channel"
	}
	switch how {
	case handoff.TakenByClaim:
		return "was claimed by " + OwnerRef(l.Owner)
	case handoff.TakenByReassign:
		return "was reassigned to " + OwnerRef(l.Owner) + " by a manager"
	}
	return unrecorded + OwnerRef(l.Owner)
}
