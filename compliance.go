package handoff

import "time"

// SLAComplianceDefinition states, in one sentence, how SLA compliance is
// counted; every surface that shows the figure shows this under it.
const SLAComplianceDefinition = "Contacted in time: of the SQLs settled in the period (contacted by the deadline, " +
	"or the deadline passed), the share contacted by the deadline; pending: SQLs of the period not yet settled; " +
	"SQLs returned by sales before contact and in time are not counted."

// SLAOutcome is where one SQL's contact promise stands at a moment.
type SLAOutcome int

// SLA outcomes.
const (
	// SLANone: the lead has no contact deadline (it never became an SQL).
	SLANone SLAOutcome = iota
	// SLAPending: not contacted yet and the deadline is still ahead.
	SLAPending
	// SLAMet: contacted by the deadline.
	SLAMet
	// SLABreached: the deadline passed without contact (or contact came late).
	SLABreached
)

// SettleSLA decides a lead's contact promise as seen at now, from its
// contact deadline and first contact. A lead is settled the moment it is
// contacted in time (met, at the contact) or its deadline passes without
// contact (breached, at the deadline; a late contact does not change
// that). It returns the outcome and, when settled, the time of settlement:
// that time decides which period the lead counts in. This is the one
// definition of SLA compliance; the store's SQL aggregates implement it
// and are tested against it.
func SettleSLA(contactDue, contactedAt *time.Time, now time.Time) (SLAOutcome, time.Time) {
	switch {
	case contactDue == nil:
		return SLANone, time.Time{}
	case contactedAt != nil && !contactedAt.After(*contactDue):
		return SLAMet, *contactedAt
	case !now.Before(*contactDue):
		return SLABreached, *contactDue
	}
	return SLAPending, time.Time{}
}

// CountSLA adds one lead to the SLA figures of period p as seen at now: a
// settled lead counts in the period it was settled in; a pending one in the
// period it became an SQL in (sqlAt). Due is Met + Breached + Pending, and
// Compliance Met / (Met + Breached).
func (s *SLAStats) CountSLA(p Period, sqlAt, contactDue, contactedAt *time.Time, now time.Time) {
	outcome, at := SettleSLA(contactDue, contactedAt, now)
	in := func(t time.Time) bool { return !t.Before(p.Start) && t.Before(p.End) }
	switch {
	case outcome == SLAMet && in(at):
		s.Met++
	case outcome == SLABreached && in(at):
		s.Breached++
	case outcome == SLAPending && sqlAt != nil && in(*sqlAt):
		s.Pending++
	default:
		return
	}
	s.Due = s.Met + s.Breached + s.Pending
	s.Compliance = Rate(s.Met, s.Met+s.Breached)
}

// NewSLAStats returns the SLA figures from the three counts.
func NewSLAStats(met, breached, pending int64) SLAStats {
	return SLAStats{Due: met + breached + pending, Met: met, Breached: breached, Pending: pending,
		Compliance: Rate(met, met+breached)}
}
