package handoff

import "time"

// An import of old records (`handoff import --old history`) records them as
// history: their stages and dates count in the funnel, but an SQL among them
// is no lead for sales to act on now. Imported live, an SQL dated before its
// claim deadline would be announced and escalated as soon as the server runs.

// OldRecord reports whether in, received at now, records an SQL (or a stage
// after it, or no stage, which makes a new lead an SQL unless the agreement's
// scoring decides) dated so long ago that its claim deadline under p had
// passed by now: to be recorded as history or, when asked for, announced and
// escalated at once.
func (in LeadInput) OldRecord(p Policy, now time.Time) bool {
	if in.OccurredAt == nil || (in.Stage != "" && in.Stage.Rank() < StageSQL.Rank()) {
		return false
	}
	return !now.Before(p.ClaimDue(*in.OccurredAt))
}

// Rescore rescores l, to which in was just applied, with its activities
// (Lead.Rescore) and returns whether that changed it and the stage events
// it recorded. The stages its score moves it to are dated as Apply dates
// the input's own: at its OccurredAt (a CSV's Create Date or lifecycle
// date, the API's occurred_at), else now, so that a lead its score makes
// an SQL counts in the funnel when the record says, and is held to its
// deadlines from then, as one the record makes an SQL is (an old record
// imported live is announced past its claim deadline, and the default
// import stops at it); but never before the lead entered the stage it is
// moved from (notBeforeItsStage). An input from history (History) is also
// scored as of its date, and stays history (keepAsHistory); any other at
// now.
func (in LeadInput) Rescore(l *Lead, activities []Activity, now time.Time, policy Policy) (bool, []Event) {
	scored, at := now, now
	if in.OccurredAt != nil {
		at = l.notBeforeItsStage(*in.OccurredAt)
		if in.History {
			scored = *in.OccurredAt
		}
	}
	before := l.slaArming()
	_, changed, change := l.rescore(activities, scored, at, policy)
	in.keepAsHistory(l, change.Events)
	l.armSLA(before, now)
	return changed, change.Events
}

// notBeforeItsStage returns t, but never before l entered its current
// stage (StageAt, when known): a stage the lead moves on to from there is
// not dated before it, so that its history reads in order (a lead lost
// before it was an SQL, sent back as an MQL dated before its loss, which
// Apply dates at the loss, and made an SQL by its score). Unlike
// NotBeforeDeparture it holds for every stage, not only one a lead left
// sales for, and it uses StageAt only, without EnteredStageAt's fallback
// to the last update: for a lead stored before StageAt was kept, a later
// update (an attribute, a rescore that moved no stage) says nothing of
// when the stage began, and would date the promotion after its input.
func (l *Lead) notBeforeItsStage(t time.Time) time.Time {
	if l.StageAt != nil && t.Before(*l.StageAt) {
		return *l.StageAt
	}
	return t
}

// keepAsHistory takes l out of the agreement (asHistory) when in records
// the past (History) and events made l an SQL: Apply does so for the stages
// the input enters, and Rescore for those the agreement's scoring adds.
func (in LeadInput) keepAsHistory(l *Lead, events []Event) {
	if in.History && becameSQL(events) {
		l.asHistory()
	}
}

// asHistory takes a lead that has just become an SQL from a past record out
// of the agreement: it keeps its stage and dates but gets no claim or contact
// deadline, reminder or routing offer, so nothing announces it, reminds or
// escalates, and the SLA figures leave it out.
func (l *Lead) asHistory() {
	l.ClaimDueAt, l.ContactDueAt = nil, nil
	l.SLATimers = SLATimers{}
	l.SLABreached = false
	l.Offer = nil
}

// BecameSQLAsHistory reports whether events made l an SQL from history
// (LeadInput.History).
func BecameSQLAsHistory(l *Lead, events []Event) bool {
	return becameSQL(events) && l.SQLAt != nil && l.ClaimDueAt == nil
}

// BecameSQLPastClaimDeadline reports whether events made l an SQL whose
// claim deadline had passed by now, when it arrived: it is announced and
// its claim escalated at once.
func BecameSQLPastClaimDeadline(l *Lead, events []Event, now time.Time) bool {
	return becameSQL(events) && l.ClaimDueAt != nil && !now.Before(*l.ClaimDueAt)
}

// BecameSQLForSales reports whether events made l an SQL for sales to act
// on: held to the agreement, so announced (or offered to a rep first).
func BecameSQLForSales(l *Lead, events []Event) bool {
	return becameSQL(events) && l.ClaimDueAt != nil
}

// becameSQL reports whether events hold the lead's entry into the SQL stage.
func becameSQL(events []Event) bool {
	for _, e := range events {
		if e.Kind == EventStage && e.Stage == StageSQL {
			return true
		}
	}
	return false
}
