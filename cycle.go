package handoff

import "time"

// SLACycle is the contact promise of one finished SQL cycle of a lead,
// with the claim and contact whose waits the medians and speed to lead
// measure.
// When a lead that was an SQL (returned, recycled or lost since) becomes
// an SQL again, its new deadlines take the place of the old ones on the
// lead; the cycle that ends is kept as an SLACycle, so that the periods it
// was settled in go on counting it (SLAStats.CountCycle), as they did
// while it was the lead's own.
type SLACycle struct {
	// Owner is the rep who worked the lead in the cycle (zero when nobody
	// claimed it); Holder the lead's SLAHolder then (see SLAOwner).
	Owner        Owner
	Holder       *Owner
	SQLAt        time.Time  // when the cycle began
	ClaimedAt    *time.Time // its claim; nil without one
	ContactDueAt time.Time  // its contact deadline
	ContactedAt  *time.Time // its first contact; nil without one
	// Reached is the rank of the highest main-path stage the lead had
	// entered when the cycle ended (Lead.Reached then): speed to lead
	// counts a cycle's contact as turning into an opportunity or a win
	// by it.
	Reached int
}

// CountCycle adds a finished cycle to the SLA figures of period p as seen
// at now, as CountSLA adds a lead: a lead that came back as an SQL counts
// once for each cycle.
func (s *SLAStats) CountCycle(p Period, c SLACycle, now time.Time) {
	s.CountSLA(p, &c.SQLAt, &c.ContactDueAt, c.ContactedAt, now)
}

// endCycle returns the lead's SQL cycle as it ends at at, when the lead
// becomes an SQL again, if its contact promise was settled by then (met or
// breached, SettleSLA); nil when there is nothing the figures count: no
// contact deadline (never an SQL, recorded as history, returned before
// contact and in time) or one still ahead without contact (only a
// back-dated SQL entry ends a cycle so early), which the figures would
// have left out as they leave out a lead returned in time.
func (l *Lead) endCycle(at time.Time) *SLACycle {
	if l.SQLAt == nil || l.ContactDueAt == nil {
		return nil
	}
	if outcome, _ := SettleSLA(l.ContactDueAt, l.ContactedAt, at); outcome != SLAMet && outcome != SLABreached {
		return nil
	}
	return &SLACycle{Owner: l.Owner, Holder: copyOwner(l.SLAHolder), SQLAt: *l.SQLAt, ClaimedAt: copyTime(l.ClaimedAt), ContactDueAt: *l.ContactDueAt, ContactedAt: copyTime(l.ContactedAt),
		Reached: l.Reached}
}

// copyOwner is a copy of *o, or nil.
func copyOwner(o *Owner) *Owner {
	if o == nil {
		return nil
	}
	c := *o
	return &c
}

// copyTime is a copy of *t, or nil.
func copyTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}
