package handoff

import "time"

// SLACycle is one finished SQL cycle of a lead: its contact promise, when
// it was settled, and the claim and contact whose waits the medians and
// speed to lead measure.
// When a lead that was an SQL (returned, recycled or lost since) becomes
// an SQL again, its new deadlines, claim and contact take the place of the
// old ones on the lead; the cycle that ends is kept as an SLACycle, so
// that the periods it was settled, claimed or contacted in go on counting
// it (SLAStats.CountCycle, the medians), as they did while it was the
// lead's own.
type SLACycle struct {
	// Owner is the rep who worked the lead in the cycle (zero when nobody
	// claimed it); Holder the lead's SLAHolder then (see SLAOwner).
	Owner     Owner
	Holder    *Owner
	SQLAt     time.Time  // when the cycle began
	ClaimedAt *time.Time // its claim; nil without one
	// ContactDueAt is its contact deadline when the promise was settled
	// (met or breached) as the cycle ended; nil when the SLA figures do
	// not count it: returned before contact and in time, recorded as
	// history, or still pending, as they leave out such a lead.
	ContactDueAt *time.Time
	ContactedAt  *time.Time // its first contact; nil without one
	// ShownAt is the lead's ShownAt as the cycle ended: when its card was
	// first shown in chat in the cycle (before SQLAt: in an earlier one),
	// which splits the wait for its claim between the system and the rep
	// (SplitClaimDelay); nil when it was never shown.
	ShownAt *time.Time
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
	s.CountSLA(p, &c.SQLAt, c.ContactDueAt, c.ContactedAt, now)
}

// endCycle returns the lead's SQL cycle as it ends at at, when the lead
// becomes an SQL again, if anything of it counts: a contact promise
// settled by then (met or breached, SettleSLA), or a claim or contact,
// whose waits the medians measure; nil for a cycle with none of these
// (never an SQL, or returned unclaimed and uncontacted in time). A promise
// not settled at at has no deadline in the cycle (ContactDueAt nil): the
// lead had none left (returned before contact and in time, recorded as
// history) or one still ahead without contact (only a back-dated SQL entry
// ends a cycle so early), which the SLA figures leave out as they leave
// out a lead returned in time; its claim still counts in the time to
// claim.
func (l *Lead) endCycle(at time.Time) *SLACycle {
	if l.SQLAt == nil {
		return nil
	}
	outcome, _ := SettleSLA(l.ContactDueAt, l.ContactedAt, at)
	settled := outcome == SLAMet || outcome == SLABreached
	if !settled && l.ClaimedAt == nil && l.ContactedAt == nil {
		return nil
	}
	c := &SLACycle{Owner: l.Owner, Holder: copyOwner(l.SLAHolder), SQLAt: *l.SQLAt, ClaimedAt: copyTime(l.ClaimedAt), ContactedAt: copyTime(l.ContactedAt),
		ShownAt: copyTime(l.ShownAt), Reached: l.Reached}
	if settled {
		c.ContactDueAt = copyTime(l.ContactDueAt)
	}
	return c
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
