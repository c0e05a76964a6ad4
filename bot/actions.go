package bot

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/handoff/handoff"
)

// errUnchanged aborts an UpdateLead whose action was already done, so a
// double click writes nothing.
var errUnchanged = errors.New("bot: nothing to change")

// permit decides whether the actor may change the lead; manager says
// whether the actor is a manager. It returns EFORBIDDEN (or ECONFLICT) to
// refuse, or errUnchanged when the action is already done.
type permit func(l *handoff.Lead, a Actor, manager bool) error

// ownerOrManager lets the owner and managers act on a claimed lead.
func ownerOrManager(l *handoff.Lead, a Actor, manager bool) error {
	if isOwner(l, a) || manager {
		return nil
	}
	return OwnerOnly(l)
}

// OwnerOnly is the EFORBIDDEN refusal of an owner's action on lead l to
// someone who is neither its owner nor a manager: to claim it first when
// nobody owns it, else who owns it. It names the lead as LeadRef does, so
// that two leads of the same title are told apart.
func OwnerOnly(l *handoff.Lead) error {
	if l.Owner.IsZero() {
		return handoff.Errorf(handoff.EFORBIDDEN, "Claim %s first.", LeadRef(l))
	}
	return handoff.Errorf(handoff.EFORBIDDEN, "Only %s (the owner) or a sales manager can do that with %s.", OwnerRef(l.Owner), LeadRef(l))
}

// anyoneWhileUnclaimed lets anyone act on an unclaimed SQL, and the owner
// and managers once it is claimed.
func anyoneWhileUnclaimed(l *handoff.Lead, a Actor, manager bool) error {
	if l.Stage == handoff.StageSQL && l.Owner.IsZero() {
		return nil
	}
	return ownerOrManager(l, a, manager)
}

// managersOnly lets only managers act.
func managersOnly(l *handoff.Lead, a Actor, manager bool) error {
	if manager {
		return nil
	}
	return handoff.Errorf(handoff.EFORBIDDEN, "Only a sales manager can reassign %s.", LeadRef(l))
}

// update changes lead id for the actor under a row lock: allow decides who
// may, apply makes the change and returns its events. Whether the actor is a
// manager is asked only of non-owners, unless askManager. A refresh of the
// lead's chat posts is queued in the same transaction (and, when the owner
// changed, of the previous owner's home); the refresh's delivery renders
// the managers' notes that name the lead again too.
// When apply returns no events nothing is written and the current lead is
// returned.
func (b *Bot) update(ctx context.Context, a Actor, id int64, allow permit, askManager bool, apply func(l *handoff.Lead, now time.Time) ([]handoff.Event, error)) (*handoff.Lead, error) {
	now := b.now()
	before, err := b.cfg.Store.Lead(ctx, id)
	if err != nil {
		return nil, err
	}
	// Ask the platform before the transaction, never while holding the lock.
	manager := false
	if askManager || !isOwner(before, a) {
		if manager, err = b.isManager(ctx, a); err != nil {
			return nil, err
		}
	}
	lead, err := b.cfg.Store.UpdateLead(ctx, id, now, func(l *handoff.Lead) (handoff.LeadChange, error) {
		if err := allow(l, a, manager); err != nil {
			return handoff.LeadChange{}, err
		}
		prev := l.Owner
		events, err := apply(l, now)
		if err != nil {
			return handoff.LeadChange{}, err
		}
		if len(events) == 0 {
			return handoff.LeadChange{}, errUnchanged
		}
		change := handoff.NewChange(l, events)
		// The refresh republishes the new owner's home; a previous owner's
		// home loses the lead.
		if home := handoff.HomeRefresh(prev); home != nil && prev != l.Owner {
			change.Outbox = append(change.Outbox, *home)
		}
		return change, nil
	})
	if errors.Is(err, errUnchanged) {
		return before, nil
	}
	if err != nil {
		return nil, err
	}
	return lead, nil
}

// moveTo moves an open lead along to target, returning the events; moving
// to a main-path stage the lead has already passed is a no-op.
func (b *Bot) moveTo(l *handoff.Lead, target handoff.Stage, now time.Time, a Actor, details map[string]string) ([]handoff.Event, error) {
	if l.Stage == target || (target.OnMainPath() && l.Stage.OnMainPath() && l.Stage.Rank() > target.Rank() && l.Stage.Open()) {
		return nil, nil
	}
	if !l.Stage.Open() {
		return nil, alreadyIn(l)
	}
	plan, err := handoff.PlanTransition(l.Stage, l.Reached, target)
	if err != nil {
		return nil, err
	}
	return l.EnterStages(plan, now, a.String(), details, b.cfg.Policy), nil
}

// needsOwner refuses sales steps on a lead nobody owns.
func needsOwner(l *handoff.Lead) error {
	if l.Owner.IsZero() && l.Stage.Open() {
		return handoff.Errorf(handoff.ECONFLICT, "Claim %s first.", LeadRef(l))
	}
	return nil
}

// LogContact records the owner's first contact with lead id. Repeating it
// changes nothing. Only the owner or a manager may; others get EFORBIDDEN.
func (b *Bot) LogContact(ctx context.Context, a Actor, id int64) (*handoff.Lead, error) {
	return b.update(ctx, a, id, ownerOrManager, false, func(l *handoff.Lead, now time.Time) ([]handoff.Event, error) {
		if err := needsOwner(l); err != nil {
			return nil, err
		}
		return b.moveTo(l, handoff.StageContacted, now, a, nil)
	})
}

// Opportunity marks lead id as an opportunity. Only the owner or a manager
// may; others get EFORBIDDEN.
func (b *Bot) Opportunity(ctx context.Context, a Actor, id int64) (*handoff.Lead, error) {
	return b.update(ctx, a, id, ownerOrManager, false, func(l *handoff.Lead, now time.Time) ([]handoff.Event, error) {
		if err := needsOwner(l); err != nil {
			return nil, err
		}
		return b.moveTo(l, handoff.StageOpportunity, now, a, nil)
	})
}

// Won closes lead id as won with the deal value amountMinor (minor units).
// Only the owner or a manager may; a closed lead gives ECONFLICT.
func (b *Bot) Won(ctx context.Context, a Actor, id int64, amountMinor int64) (*handoff.Lead, error) {
	if amountMinor < 0 {
		return nil, &handoff.Error{Code: handoff.EINVALID, Message: "amount must not be negative", Fields: map[string]string{"amount": "must not be negative"}}
	}
	return b.update(ctx, a, id, ownerOrManager, false, func(l *handoff.Lead, now time.Time) ([]handoff.Event, error) {
		if err := needsOwner(l); err != nil {
			return nil, err
		}
		events, err := b.moveTo(l, handoff.StageWon, now, a, map[string]string{"amount_minor": strconv.FormatInt(amountMinor, 10)})
		if len(events) > 0 {
			l.AmountMinor = amountMinor
		}
		return events, err
	})
}

// Lost closes lead id as lost, with an optional reason. Only the owner or a
// manager may.
func (b *Bot) Lost(ctx context.Context, a Actor, id int64, reason string) (*handoff.Lead, error) {
	return b.lost(ctx, a, id, reason, "")
}

func (b *Bot) lost(ctx context.Context, a Actor, id int64, reason, note string) (*handoff.Lead, error) {
	reason, note, err := checkReason(reason, note)
	if err != nil {
		return nil, err
	}
	details := b.cfg.Policy.ReasonDetails(reason, note, false)
	return b.update(ctx, a, id, ownerOrManager, false, func(l *handoff.Lead, now time.Time) ([]handoff.Event, error) {
		if err := needsOwner(l); err != nil {
			return nil, err
		}
		events, err := b.moveTo(l, handoff.StageLost, now, a, details)
		if len(events) > 0 {
			l.Reason = details["reason"]
		}
		return events, err
	})
}

// Recycle returns lead id to marketing for more nurturing; reason is
// required (EINVALID without). Only the owner or a manager may.
func (b *Bot) Recycle(ctx context.Context, a Actor, id int64, reason string) (*handoff.Lead, error) {
	return b.recycle(ctx, a, id, reason, "", ownerOrManager, false)
}

// NotAFit returns a new SQL to marketing with a reason (required). Anyone
// may while it is unclaimed; afterwards only the owner or a manager.
func (b *Bot) NotAFit(ctx context.Context, a Actor, id int64, reason string) (*handoff.Lead, error) {
	return b.recycle(ctx, a, id, reason, "", anyoneWhileUnclaimed, true)
}

func (b *Bot) recycle(ctx context.Context, a Actor, id int64, reason, note string, allow permit, notAFit bool) (*handoff.Lead, error) {
	reason, note, err := checkReason(reason, note)
	if err != nil {
		return nil, err
	}
	if reason == "" {
		return nil, &handoff.Error{Code: handoff.EINVALID, Message: "a reason is required", Fields: map[string]string{"reason": "Tell marketing why."}}
	}
	details := b.cfg.Policy.ReasonDetails(reason, note, notAFit)
	return b.update(ctx, a, id, allow, false, func(l *handoff.Lead, now time.Time) ([]handoff.Event, error) {
		events, err := b.moveTo(l, handoff.StageRecycled, now, a, details)
		if len(events) > 0 {
			l.Reason = details["reason"]
		}
		return events, err
	})
}

// checkReason trims a reason and a note typed into a form and applies the
// intake's text rule to them (handoff.CheckText), so a reason from chat is
// stored like one from the API; EINVALID naming "reason" or "note" when
// one breaks the rule.
func checkReason(reason, note string) (string, string, error) {
	bad := map[string]string{}
	check := func(field, s string) string {
		s = strings.TrimSpace(s)
		if p := handoff.CheckText(s, handoff.MaxFieldLen); p != "" {
			bad[field] = strings.ToUpper(p[:1]) + p[1:] + "."
		}
		return s
	}
	reason, note = check("reason", reason), check("note", note)
	if len(bad) > 0 {
		msg := bad["reason"]
		if msg == "" {
			msg = bad["note"]
		}
		return "", "", &handoff.Error{Code: handoff.EINVALID, Message: "invalid reason: " + msg, Fields: bad}
	}
	return reason, note, nil
}

// Release gives a claimed lead back to the open pool, so another rep can
// claim it; its SLA clock keeps running. Only the owner or a manager may;
// after first contact it gives ECONFLICT (use Lost or Recycle), and so it
// does for a lead whose personal data was erased
// (handoff.Lead.ReleaseRefused). Releasing an unclaimed lead changes
// nothing.
func (b *Bot) Release(ctx context.Context, a Actor, id int64) (*handoff.Lead, error) {
	allow := func(l *handoff.Lead, a Actor, manager bool) error {
		if l.Stage == handoff.StageSQL && l.Owner.IsZero() {
			return errUnchanged
		}
		return ownerOrManager(l, a, manager)
	}
	return b.update(ctx, a, id, allow, false, func(l *handoff.Lead, now time.Time) ([]handoff.Event, error) {
		if l.Stage != handoff.StageClaimed {
			return nil, handoff.Errorf(handoff.ECONFLICT, "%s is %s; after first contact use Lost or Recycle instead.", upperFirst(LeadRef(l)), l.Stage)
		}
		if err := l.ReleaseRefused(); err != nil {
			return nil, err // nobody could claim it back
		}
		return l.Release(now, a.String(), nil), nil
	})
}

// Reassign makes the platform user to the owner of an open lead (claiming
// it for them when unclaimed) and sends them the lead's details. Only
// managers may; others get EFORBIDDEN. A lead whose personal data was
// erased is not reassigned (ECONFLICT): nobody new takes it up.
func (b *Bot) Reassign(ctx context.Context, a Actor, id int64, to string) (*handoff.Lead, error) {
	to = strings.TrimSpace(to)
	if to == "" {
		return nil, &handoff.Error{Code: handoff.EINVALID, Message: "choose a rep", Fields: map[string]string{"owner": "Choose a rep."}}
	}
	// The new owner is sent the lead's contact details and must be able
	// to work it: someone who may not see leads (not in the sales channel
	// and not a manager) is refused on the form, and nothing changes.
	if err := b.ReadsLeads(ctx, Actor{Platform: a.Platform, UserID: to}); err != nil {
		if handoff.ErrorCode(err) != handoff.EFORBIDDEN {
			return nil, err
		}
		return nil, &handoff.Error{Code: handoff.EINVALID, Message: "the new owner may not see leads",
			Fields: map[string]string{"owner": "Choose a member of the sales channel or a sales manager: only they may see and work leads."}}
	}
	owner := handoff.Owner{Platform: a.Platform, UserID: to, Email: b.email(ctx, a.Platform, to)}
	changed := false
	lead, err := b.update(ctx, a, id, managersOnly, true, func(l *handoff.Lead, now time.Time) ([]handoff.Event, error) {
		if l.Owner.UserID == to && l.Owner.Platform == owner.Platform {
			return nil, nil
		}
		if err := l.TakeUpRefused("reassigned"); err != nil && l.Stage.Open() {
			return nil, err // nobody new takes up an erased lead
		}
		prev := l.Owner
		var events []handoff.Event
		if l.Stage == handoff.StageSQL {
			var err error
			if events, err = b.moveTo(l, handoff.StageClaimed, now, a, nil); err != nil {
				return nil, err
			}
		} else if !l.Stage.Open() {
			return nil, alreadyIn(l)
		}
		l.Reassign(owner, now)
		changed = true
		return append(events, handoff.Event{Kind: handoff.EventReassign, Stage: l.Stage, At: now, Actor: a.String(),
			Details: map[string]string{"from": prev.Platform + ":" + prev.UserID, "to": owner.Platform + ":" + to}}), nil
	})
	if err != nil || !changed {
		return lead, err
	}
	if err := b.directMessage(ctx, a.Platform, to, id, OwnerDM(lead, b.now(), b.cfg.Policy)); err != nil {
		b.logger.ErrorContext(ctx, "bot: queue owner DM", "lead", id, "err", err)
	}
	return lead, nil
}
