package handoff

import "time"

// SLAActionKind names what the SLA clock does to a lead when a deadline passes.
type SLAActionKind string

// SLA actions.
const (
	// SLARemind privately reminds the owner that the contact deadline nears.
	SLARemind SLAActionKind = "remind"
	// SLAEscalateClaim tells managers that an SQL went unclaimed past its claim deadline.
	SLAEscalateClaim SLAActionKind = "escalate_claim"
	// SLAEscalateContact tells managers that an SQL was not contacted by its deadline.
	SLAEscalateContact SLAActionKind = "escalate_contact"
	// SLARelease returns a breached lead to the sales channel for a new claim
	// (only with Policy.ReleaseOnBreach).
	SLARelease SLAActionKind = "release"
)

// SLAAction is one thing the SLA clock decided at a tick.
type SLAAction struct {
	Kind SLAActionKind
	// Due is the deadline or reminder time that passed.
	Due time.Time
	// Owner is the owner at the time of the action (empty when unclaimed).
	Owner Owner
	// Overdue reports that Due had passed when Handoff set the deadline
	// (Lead.SLASetAt: an SQL imported or dated after its deadline,
	// `handoff import --old live`; a lead released after its claim
	// deadline): the clock fires it at its first tick, and how long after
	// Due that is says nothing of the clock. A lead saved for anything
	// else since (a CRM's update of its name, a note) keeps it false, so
	// that a late clock shows.
	Overdue bool
}

// SLATimers are the SLA clock's state on a lead: what has fired already,
// so that nothing fires twice.
type SLATimers struct {
	NextReminderAt     *time.Time // the next reminder due; nil when none is left
	ClaimEscalatedAt   *time.Time
	ContactEscalatedAt *time.Time
}

// NextSLADue returns the earliest time at which TickSLA will act on the lead,
// and false when nothing is pending. The store repeats this rule in SQL to
// find due leads by index; storage's TestRulesWrittenTwiceAgree runs both on
// the same cases.
func (l *Lead) NextSLADue() (time.Time, bool) {
	var next time.Time
	for _, t := range l.pendingSLA() {
		if t != nil && (next.IsZero() || t.Before(next)) {
			next = *t
		}
	}
	return next, !next.IsZero()
}

// pendingSLA returns the deadlines TickSLA acts on: the claim deadline,
// the contact deadline and the next reminder, each nil when the clock does
// not act on it (none set, fired already, or not in the lead's stage).
func (l *Lead) pendingSLA() [3]*time.Time {
	acting := func(t *time.Time, applies bool) *time.Time {
		if !applies {
			return nil
		}
		return t
	}
	return [3]*time.Time{
		acting(l.ClaimDueAt, l.Stage == StageSQL && l.ClaimEscalatedAt == nil),
		acting(l.ContactDueAt, (l.Stage == StageSQL || l.Stage == StageClaimed) && l.ContactEscalatedAt == nil),
		acting(l.NextReminderAt, l.Stage == StageClaimed),
	}
}

// slaArming is a lead's SLA deadlines as a change found them: those the
// clock acted on (pendingSLA) and when they were set (slaSetAt).
type slaArming struct {
	pending [3]*time.Time
	setAt   time.Time
}

// slaArming returns the lead's SLA deadlines before a change, for armSLA.
func (l *Lead) slaArming() slaArming {
	return slaArming{pending: l.pendingSLA(), setAt: l.slaSetAt()}
}

// slaSetAt returns when Handoff last set one of the lead's SLA deadlines:
// SLASetAt, or, for a lead that has not had one set since SLASetAt was
// kept (a row stored before it: no column value), its last save, which is
// never before it.
func (l *Lead) slaSetAt() time.Time {
	if l.SLASetAt != nil {
		return *l.SLASetAt
	}
	return l.UpdatedAt
}

// armSLA records, in SLASetAt, that a change of the lead at now set a
// deadline the clock acts on, against before (the lead before the
// change): one with a new value, or one the clock acts on again (a
// release gives back the claim deadline, a lead taken up again its
// contact deadline). A change that sets none leaves SLASetAt, whatever
// else it changed. The time stops short of now at a deadline the change
// left as it was and that fell due, on time, before now without firing
// (the clock was late, with a change in between): that lateness stays the
// clock's.
func (l *Lead) armSLA(before slaArming, now time.Time) {
	set, at := false, now
	for i, due := range l.pendingSLA() {
		switch was := before.pending[i]; {
		case due == nil:
		case was == nil || !was.Equal(*due):
			set = true
		case due.Before(at) && !due.Before(before.setAt):
			at = *due
		}
	}
	if set {
		l.SLASetAt = &at
	}
}

// TickSLA advances the lead's SLA clock to now under policy: it records
// escalations and the breach, moves the reminder on, and (with
// ReleaseOnBreach) releases a claimed lead that missed its contact deadline.
// It returns what happened, in order; an empty result means nothing was due.
// It is pure and idempotent: a second call at the same time returns nothing.
// An action is Overdue when its due time was before its deadline was set
// (slaSetAt); a deadline the tick moves on (the next reminder, an excused
// claim deadline) is set now.
func (l *Lead) TickSLA(now time.Time, p Policy) []SLAAction {
	before := l.slaArming()
	actions := l.tickSLA(now, p)
	for i := range actions {
		actions[i].Overdue = actions[i].Due.Before(before.setAt)
	}
	l.armSLA(before, now)
	return actions
}

// tickSLA is TickSLA but for the actions' Overdue.
func (l *Lead) tickSLA(now time.Time, p Policy) []SLAAction {
	var actions []SLAAction
	if l.Stage == StageClaimed && l.NextReminderAt != nil && !now.Before(*l.NextReminderAt) {
		// Only the latest passed reminder is worth sending; older ones are
		// stale. It is the one judged against the claim: one that fell due
		// after the claim is sent even when an earlier one did not.
		due := *l.NextReminderAt
		if latest := latestReminder(p, l.SQLAt, l.ContactDueAt, now); latest != nil && latest.After(due) {
			due = *latest
		}
		l.NextReminderAt = nextReminder(p, l.SQLAt, l.ContactDueAt, now)
		claimedFirst := l.ClaimedAt == nil || !due.Before(*l.ClaimedAt)
		if claimedFirst && (l.ContactDueAt == nil || now.Before(*l.ContactDueAt)) {
			actions = append(actions, SLAAction{Kind: SLARemind, Due: due, Owner: l.Owner})
		}
	}
	l.excuseUnshownCard(now, p)
	if l.Stage == StageSQL && l.ClaimEscalatedAt == nil && l.ClaimDueAt != nil && !now.Before(*l.ClaimDueAt) {
		at := now
		l.ClaimEscalatedAt = &at
		l.SLABreached = true
		actions = append(actions, SLAAction{Kind: SLAEscalateClaim, Due: *l.ClaimDueAt})
	}
	if (l.Stage == StageSQL || l.Stage == StageClaimed) && l.ContactEscalatedAt == nil && l.ContactDueAt != nil && !now.Before(*l.ContactDueAt) {
		at := now
		l.ContactEscalatedAt = &at
		l.SLABreached = true
		l.NextReminderAt = nil
		actions = append(actions, SLAAction{Kind: SLAEscalateContact, Due: *l.ContactDueAt, Owner: l.Owner})
		if p.ReleaseOnBreach && l.Stage == StageClaimed {
			actions = append(actions, SLAAction{Kind: SLARelease, Due: *l.ContactDueAt, Owner: l.Owner})
			l.handOver(at) // the breach stays the owner's
			l.Stage, l.StageAt = StageSQL, &at
			l.Owner = Owner{}
			l.ClaimedAt = nil
			// It is breached already: a new claim deadline would only repeat the alarm.
			if l.ClaimEscalatedAt == nil {
				l.ClaimEscalatedAt = &at
			}
		}
	}
	return actions
}

// reminders returns when the reminders for an SQL that became an SQL at
// sqlAt are due: before the contact deadline the lead is held to (due, as
// stored on it), or, without one, before the policy's. A deadline set under
// an earlier agreement keeps its reminders before it.
func reminders(p Policy, sqlAt, due *time.Time) []time.Time {
	if sqlAt == nil {
		return nil
	}
	if due == nil {
		return p.ContactReminders(*sqlAt)
	}
	window := p.Between(*sqlAt, *due)
	var out []time.Time
	for _, r := range p.RemindBefore {
		if r <= 0 || r >= window {
			continue
		}
		out = append(out, p.Add(*sqlAt, window-r))
	}
	return out
}

// excuseUnshownCard moves on, under a policy that excuses the system's
// delay, the claim deadline of an unclaimed SQL that passed by now while
// its card has not reached the channel yet (chat down): it cannot be
// claimed late, as the system's delay is still running, so the deadline
// moves on as if the card were shown now (ExcusedClaimDue), until
// CardShown sets it for good. The clock (tickSLA) and an erasure
// (StopSLAOnErasure) judge the claim deadline through it alike.
func (l *Lead) excuseUnshownCard(now time.Time, p Policy) {
	l.ClaimDueAt = l.ClaimDueAtNow(now, p)
}

// ClaimExcused reports whether the clock, ticking at now under p, would
// move the lead's claim deadline on (excuseUnshownCard) rather than
// escalate it: an unclaimed SQL whose claim deadline has passed, not yet
// escalated, while its card has not been shown in chat in its SQL cycle,
// under a policy that excuses the system's delay.
func (l *Lead) ClaimExcused(now time.Time, p Policy) bool {
	return l.Stage == StageSQL && l.ClaimEscalatedAt == nil && l.ClaimDueAt != nil && !now.Before(*l.ClaimDueAt) && l.cardNotShown(p)
}

// ClaimDueAtNow returns the claim deadline the lead is held to at now
// under p, as the clock ticking at now would leave it: the stored one, or,
// when the clock would excuse it (ClaimExcused), the one moved on as if
// the card were shown now (ExcusedClaimDue); nil when it has none. What
// shows or judges a claim deadline at read time (the lead lists, /sla,
// the SLA line) reads it through this, so that it never calls late a
// claim that the clock's next tick excuses.
func (l *Lead) ClaimDueAtNow(now time.Time, p Policy) *time.Time {
	if l.ClaimExcused(now, p) {
		due := p.ExcusedClaimDue(*l.SQLAt, now)
		return &due
	}
	return l.ClaimDueAt
}

// BreachedAt reports whether the lead, an open SQL (stage sql or claimed),
// is breached at now under p as the clock ticking at now would judge it:
// flagged as breached, past its contact deadline, or unclaimed past a
// claim deadline the clock does not excuse (ClaimExcused). A deadline
// breaches at its due time, as the tick escalates it then. storage's
// breachedSQL writes the same rule in SQL for the open SQLs (/sla,
// /leads breached, the digest, the managers' Home);
// TestRulesWrittenTwiceAgree runs both on the same cases.
func (l *Lead) BreachedAt(now time.Time, p Policy) bool {
	passed := func(due *time.Time) bool { return due != nil && !now.Before(*due) }
	return l.SLABreached || passed(l.ContactDueAt) || l.Stage == StageSQL && passed(l.ClaimDueAt) && !l.ClaimExcused(now, p)
}

// cardNotShown reports whether, under a policy that excuses the system's
// delay, the lead's card has not been shown in chat in its SQL cycle yet.
func (l *Lead) cardNotShown(p Policy) bool {
	return p.ExcuseSystemDelay && l.SQLAt != nil && (l.ShownAt == nil || l.ShownAt.Before(*l.SQLAt))
}

// nextReminder returns the first reminder for an SQL since sqlAt, held to
// the contact deadline due, that falls after now, or nil.
func nextReminder(p Policy, sqlAt, due *time.Time, now time.Time) *time.Time {
	var next *time.Time
	for _, r := range reminders(p, sqlAt, due) {
		if r.After(now) && (next == nil || r.Before(*next)) {
			r := r
			next = &r
		}
	}
	return next
}

// latestReminder returns the last reminder for an SQL since sqlAt, held to
// the contact deadline due, that fell due by now, or nil.
func latestReminder(p Policy, sqlAt, due *time.Time, now time.Time) *time.Time {
	var latest *time.Time
	for _, r := range reminders(p, sqlAt, due) {
		if !r.After(now) && (latest == nil || r.After(*latest)) {
			r := r
			latest = &r
		}
	}
	return latest
}

// firstReminder returns the earliest reminder for an SQL since sqlAt.
func firstReminder(p Policy, sqlAt time.Time) *time.Time {
	var first *time.Time
	for _, r := range p.ContactReminders(sqlAt) {
		if first == nil || r.Before(*first) {
			r := r
			first = &r
		}
	}
	return first
}
