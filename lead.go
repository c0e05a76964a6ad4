package handoff

import (
	"time"
)

// Lead is one contact moving through the funnel.
type Lead struct {
	ID         int64
	ExternalID string // the id in the marketing system; unique
	Email      string
	Name       string
	Company    string
	Title      string
	Phone      string
	Source     string
	Campaign   string
	Score      int
	// ScoreReasons is the one line of the score's top reasons under the
	// agreement's scoring, as of the lead's last change ("" without).
	ScoreReasons string
	// NextDecayAt is when the score next changes with time alone (an
	// activity starts or stops counting, see Scoring.NextDecay); nil when
	// it never does.
	NextDecayAt *time.Time
	Stage       Stage
	// StageAt is when the lead entered Stage, as its history dates it: the
	// time of the stage (or release) event recorded for it, a CRM's date
	// for a CRM's change. Nil for a lead stored before it was kept whose
	// history did not say when, and for the others until the store has
	// dated them from it, once, in the background after the upgrade;
	// EnteredStageAt falls back to UpdatedAt.
	StageAt *time.Time
	// Reached is the rank of the highest main-path stage ever entered (-1 for none).
	Reached     int
	AmountMinor int64 // deal value in minor units (øre, cents) when won
	// Reason is why the lead is lost or recycled, the one it entered that
	// stage with; none in any other stage (the reasons of a loss or return
	// it left stay in its events, where the funnel counts them).
	Reason     string
	Attributes map[string]any

	// Owner is the rep who claimed it; a lost or recycled lead keeps the
	// rep who worked it (for the reports) until it is an SQL again.
	Owner Owner
	// SLAHolder is who held the lead when its SQL cycle's contact promise
	// was settled, recorded when it changed hands after that (a release,
	// a reassign); nil when nothing was recorded. See SLAOwner.
	SLAHolder *Owner
	SQLAt     *time.Time // when it last became an SQL
	// SLAFrom is when the SLA clock of its SQL cycle started: its arrival
	// here, later than SQLAt for a CRM's SQL dated by the CRM
	// (enterStages' clock); nil for a cycle begun before Handoff kept it,
	// whose clock is taken to start at SQLAt.
	SLAFrom     *time.Time
	ClaimedAt   *time.Time
	ContactedAt *time.Time
	ClaimDueAt  *time.Time
	// ShownAt is when the lead's card was first shown in chat; before
	// SQLAt it belongs to an earlier SQL cycle.
	ShownAt *time.Time
	// ContactDueAt is the SLA deadline for first contact.
	ContactDueAt *time.Time
	SLABreached  bool
	// SLASetAt is when Handoff last set a deadline the SLA clock acts on
	// (ClaimDueAt, ContactDueAt, NextReminderAt: a new value, or one acting
	// again, as a release gives back the claim deadline), by the time of
	// the change that set it, not the time the deadline counts from: an
	// SQL imported today and dated a month ago has it today. TickSLA
	// judges an action Overdue against it, and a change that sets no
	// deadline (a CRM's update of the name, a note) leaves it. Nil for a
	// lead that has had no deadline set since it was kept, which falls
	// back to UpdatedAt (slaSetAt).
	SLASetAt *time.Time
	// SLATimers says which reminders and escalations have fired.
	SLATimers
	// Offer is the lead's routing state under round-robin routing; nil
	// under claim routing.
	Offer *Offer

	CreatedAt time.Time
	UpdatedAt time.Time
	// ErasedAt is when the lead's personal data was erased (GDPR); nil
	// while it has it.
	ErasedAt *time.Time
}

// Owner is the sales rep who claimed a lead.
type Owner struct {
	Platform string // "slack", "teams" or "" when set by email only
	UserID   string // the platform's user id
	Email    string
}

// IsZero reports whether nobody owns the lead.
func (o Owner) IsZero() bool { return o.UserID == "" && o.Email == "" }

// EventKind says what an event records.
type EventKind string

// Event kinds.
const (
	EventStage      EventKind = "stage"      // the lead entered Event.Stage
	EventBreach     EventKind = "breach"     // an SLA deadline passed
	EventRelease    EventKind = "release"    // the owner gave the lead back
	EventReassign   EventKind = "reassign"   // a manager moved it to another rep
	EventReminder   EventKind = "reminder"   // the owner was reminded
	EventEscalation EventKind = "escalation" // managers were told of a breach
	EventErased     EventKind = "erased"     // personal data was erased (GDPR)
)

// Actors that are not people.
const (
	ActorAPI        = "api"
	ActorImport     = "import"
	ActorSystem     = "system"
	ActorHubSpot    = "hubspot"    // HubSpot's webhooks
	ActorSalesforce = "salesforce" // Salesforce's Outbound Messages
)

// HubSpotDeletedReason is the reason a lead whose HubSpot contact was
// deleted (a contact.deletion event) is lost with: its card says so, the
// funnel counts it under that reason, and the contact holds the lead's
// email address no more (storage's ForgetCRMPerson erases it with the
// person who has that address).
const HubSpotDeletedReason = "deleted in HubSpot"

// OwnActor reports whether name is an actor Handoff records for changes no
// API token made: the SLA clock, retention and erasures from the command
// line (system), the CSV import, scoring and the CRMs. An API token of
// that name would be taken, in every lead's history, for Handoff itself.
// ActorAPI is HANDOFF_API_TOKEN's, not one of these.
func OwnActor(name string) bool {
	switch name {
	case ActorSystem, ActorImport, ActorScoring, ActorHubSpot, ActorSalesforce:
		return true
	}
	return false
}

// Event is one immutable entry in a lead's history.
type Event struct {
	ID      int64
	LeadID  int64
	Kind    EventKind
	Stage   Stage // for EventStage: the stage entered; otherwise the lead's stage then
	At      time.Time
	Actor   string
	Details map[string]string
	// Ends is, on the stage event of a lead that becomes an SQL again,
	// the earlier SQL cycle that this one ends, when its promise was
	// settled (met or breached) or it was claimed or contacted: the store
	// keeps it with the event so that the reports of its periods do not
	// change (SLACycle). It is not read back with the event.
	Ends *SLACycle
}

// EnteredStageAt returns when the lead entered its current stage: StageAt,
// or, for a lead stored before StageAt was kept whose history did not
// date it, its last update, which is never before it.
func (l *Lead) EnteredStageAt() time.Time {
	if l.StageAt != nil {
		return *l.StageAt
	}
	return l.UpdatedAt
}

// Amount returns the deal value in major units (kroner, dollars).
func (l *Lead) Amount() float64 { return float64(l.AmountMinor) / 100 }

// EnterStages applies a planned transition to the lead at time at (now),
// updating its timestamps and SLA deadlines under policy (SLASetAt: at
// when it set one), and returns the events to
// record. A lead that leaves the SQL stage ends its offer (closeOffer) and
// keeps the claim deadline the SLA clock held it to then (ClaimDueAtNow:
// under ExcuseSystemDelay an unshown card's passed deadline moved on); one
// that becomes an SQL again ends its earlier SLA cycle, which its SQL event
// carries when anything of it counts (Event.Ends, endCycle). A lead that sales takes up again
// without a new SQL (lost or recycled straight back to claimed or
// contacted) keeps its cycle's first claim and first contact, which the
// SLA and the medians measure: a second contact does not move a met
// deadline to a breach, nor the contact to another period. A lead that
// enters any stage but lost or recycled loses its Reason, which its
// history keeps; the caller sets the reason of a loss or return. It is
// pure: the caller persists the lead and events together.
func (l *Lead) EnterStages(t Transition, at time.Time, actor string, details map[string]string, policy Policy) []Event {
	before := l.slaArming()
	events := l.enterStages(t, at, at, actor, details, policy)
	l.armSLA(before, at)
	return events
}

// enterStages is EnterStages with the SLA clock of an SQL it enters
// started at clock rather than at: a CRM's SQL is dated when the CRM made
// it (at), while its claim and contact deadlines, reminders and routing
// count from when it reached Handoff (clock), when sales could first see
// it (LeadInput.Apply).
func (l *Lead) enterStages(t Transition, at, clock time.Time, actor string, details map[string]string, policy Policy) []Event {
	if clock.Before(at) {
		clock = at
	}
	var events []Event
	wasSQL := l.Stage == StageSQL
	if wasSQL && len(t.Entered) > 0 {
		// The SQL stage ends here (a claim, a reassign, a loss, a win):
		// the lead keeps the claim deadline the clock held it to at at,
		// an excused one moved past at (ClaimDueAtNow), not the passed one
		// stored, which no tick moves on once the lead left the stage.
		// storage's claimColumns repeats it in the claim's UPDATE.
		l.ClaimDueAt = l.ClaimDueAtNow(at, policy)
	}
	var ended *SLACycle
	for _, st := range t.Entered {
		switch st {
		case StageSQL:
			ended = l.endCycle(at)
			sqlAt, from := at, clock
			claimDue, contactDue := policy.ClaimDue(clock), policy.ContactDue(clock)
			l.SQLAt, l.SLAFrom, l.ClaimDueAt, l.ContactDueAt = &sqlAt, &from, &claimDue, &contactDue
			l.SLABreached, l.SLAHolder = false, nil
			l.ClaimedAt, l.ContactedAt = nil, nil
			l.SLATimers = SLATimers{NextReminderAt: firstReminder(policy, clock)}
			l.startRouting(policy.Routing, clock)
			if l.Reached >= StageSQL.Rank() || l.Stage == StageRecycled || l.Stage == StageLost {
				// Back for sales as a new SQL: whoever worked it before
				// (kept while it was lost or recycled) no longer owns it.
				l.Owner = Owner{}
			}
		case StageClaimed:
			l.heldAgain(policy)
			if l.ClaimedAt == nil { // the cycle's first claim is the one measured
				claimed := at
				l.ClaimedAt = &claimed
				if l.claimLate(at, policy) {
					l.SLABreached = true
				}
			}
		case StageContacted:
			l.heldAgain(policy)
			if l.ContactedAt == nil { // the cycle's first contact is the one measured
				contacted := at
				l.ContactedAt = &contacted
				if l.ContactDueAt != nil && at.After(*l.ContactDueAt) {
					l.SLABreached = true
				}
			}
		case StageLost, StageRecycled:
			l.judgedBeforeContact(at)
		}
		if r := st.Rank(); r > l.Reached {
			l.Reached = r
		}
		ev := Event{LeadID: l.ID, Kind: EventStage, Stage: st, At: at, Actor: actor}
		if st == t.Entered[len(t.Entered)-1] {
			ev.Details = details
		} else {
			ev.Details = map[string]string{"implied": "true"}
		}
		if st == StageSQL {
			ev.Ends = ended
		}
		events = append(events, ev)
	}
	if len(t.Entered) > 0 {
		l.Stage = t.Entered[len(t.Entered)-1]
		entered := at
		l.StageAt = &entered
		if !l.Stage.HoldsReason() {
			l.Reason = "" // its event keeps why it was lost or recycled
		}
	}
	if wasSQL && l.Stage != StageSQL {
		// Leaving the SQL stage by any path ends the offer, as a claim does.
		l.closeOffer()
	}
	return events
}

// claimLate reports whether a claim at at misses the claim deadline as
// p's clock holds it then (ClaimDueAtNow): a deadline the clock excuses,
// an unshown card's, has moved past at, so such a claim is in time.
// storage's claimColumns repeats it in the claim's UPDATE
// (TestRulesWrittenTwiceAgree).
func (l *Lead) claimLate(at time.Time, p Policy) bool {
	due := l.ClaimDueAtNow(at, p)
	return due != nil && at.After(*due)
}

// judgedBeforeContact releases an SQL that sales returns (not a fit, lost,
// back to marketing) before its first contact and within its contact
// deadline from that deadline: sales acted on it in time, so the SLA
// figures leave it out rather than count it as breached once the deadline
// passes. Returned after the deadline, it stays breached; its claim
// deadline stays, as it tells it from a lead recorded as history.
func (l *Lead) judgedBeforeContact(at time.Time) {
	if l.ContactedAt == nil && l.ContactDueAt != nil && at.Before(*l.ContactDueAt) {
		l.ContactDueAt = nil
	}
}

// StopSLAOnErasure ends what the SLA clock holds against a lead whose
// personal data is erased at now (the person asked to be forgotten, or the
// retention period ran out) under policy p: nobody can contact them any
// more, so no reminder is sent, and a deadline still ahead is released as
// for a lead returned before contact (judgedBeforeContact): the figures
// leave it out and no escalation comes. A deadline already passed stays,
// as does a breach: erasing does not rewrite what happened. One that
// passed before the clock's tick escalated it is breached as that tick
// would record it (SLABreached, its escalation's time now) but escalates
// to nobody: managers could hand the lead to no one (TakeUpRefused), and a
// release on the breach would leave it in the channel for a claim that
// cannot be. The claim deadline is judged as the tick judges it: with
// ExcuseSystemDelay, that of an SQL whose card never reached chat is moved
// on past now (excuseUnshownCard), so it is released as one still ahead,
// not breached for the system's delay.
func (l *Lead) StopSLAOnErasure(now time.Time, p Policy) {
	l.NextReminderAt = nil
	l.judgedBeforeContact(now)
	l.excuseUnshownCard(now, p)
	if l.Stage == StageSQL && l.ClaimedAt == nil && l.ClaimDueAt != nil && now.Before(*l.ClaimDueAt) {
		l.ClaimDueAt = nil
	}
	if l.Stage == StageSQL && l.ClaimEscalatedAt == nil && l.ClaimDueAt != nil && !now.Before(*l.ClaimDueAt) {
		l.ClaimEscalatedAt, l.SLABreached = &now, true
	}
	if (l.Stage == StageSQL || l.Stage == StageClaimed) && l.ContactEscalatedAt == nil && l.ContactDueAt != nil && !now.Before(*l.ContactDueAt) {
		l.ContactEscalatedAt, l.SLABreached = &now, true
	}
}

// heldAgain gives back its contact deadline to a lead that sales takes up
// again after returning it before contact (lost or recycled straight back
// to claimed or contacted, with no new SQL): the deadline it had, counted
// from when its SLA clock started (SLAFrom), its arrival, and not from a
// CRM's earlier date of the SQL, which would give it back early by the
// delivery's delay. A lead recorded as history has no claim deadline and
// stays out. So does an SQL, or a claimed lead, without a contact
// deadline: it was released from it when its person was erased
// (StopSLAOnErasure), and a claim or a contact holds it to none again
// (Lead.Claim, which the store repeats in SQL, gets no policy to count one
// with).
func (l *Lead) heldAgain(p Policy) {
	returned := l.Stage == StageLost || l.Stage == StageRecycled
	if returned && l.ContactDueAt == nil && l.ClaimDueAt != nil && l.SQLAt != nil {
		from := l.SQLAt
		if l.SLAFrom != nil {
			from = l.SLAFrom
		}
		due := p.ContactDue(*from)
		l.ContactDueAt = &due
	}
}
