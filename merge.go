package handoff

import "time"

// A CRM merges two records of one person (HubSpot's merge of two
// contacts): the record merged away is gone from the CRM, and so is, for
// sales, the lead Handoff made of it. The rules here decide which of the
// two leads Handoff keeps and how the other one ends; storage's
// SaveLeadVersion applies them in the transaction that saves the
// surviving record (LeadInput.Merged).

// MergedReason is the reason a lead closed by a CRM merge is lost with:
// its card says so, and the funnel counts it under that reason.
const MergedReason = "merged in the CRM into another contact"

// MaxMerged bounds the records one input may say were merged into it.
const MaxMerged = 100

// MergeKeeper returns, of a and b, two leads of one person that a CRM
// merged, the lead Handoff keeps (under the surviving record's id) and the
// one it closes: the lead sales took first (the earlier first claim of its
// SQL cycle: its owner and claim stay), else the one that became an SQL
// first (its card, deadlines and history stay), else the older one (by
// creation, then by id). It is symmetric, so deciding again decides the
// same.
func MergeKeeper(a, b *Lead) (keep, dup *Lead) {
	if mergeBefore(b, a) {
		return b, a
	}
	return a, b
}

// mergeBefore reports whether a comes before b in MergeKeeper's order.
func mergeBefore(a, b *Lead) bool {
	if c := compareFirst(a.ClaimedAt, b.ClaimedAt); c != 0 {
		return c < 0
	}
	if c := compareFirst(a.SQLAt, b.SQLAt); c != 0 {
		return c < 0
	}
	if !a.CreatedAt.Equal(b.CreatedAt) {
		return a.CreatedAt.Before(b.CreatedAt)
	}
	return a.ID < b.ID
}

// compareFirst orders two optional times, a set one before an unset one
// and the earlier first: -1 when a comes first, 1 when b does, 0 when
// neither.
func compareFirst(a, b *time.Time) int {
	switch {
	case a != nil && (b == nil || a.Before(*b)):
		return -1
	case b != nil && (a == nil || b.Before(*a)):
		return 1
	}
	return 0
}

// MergedAway reports whether l was closed by a CRM merge (MergeInto).
func (l *Lead) MergedAway() bool {
	return l.Stage == StageLost && l.Reason == MergedReason
}

// MergeInto closes l, the lead MergeKeeper did not keep, at now: it is
// lost with MergedReason, which ends its SLA clock as a return does (a
// deadline still ahead is left out of the figures, a passed one stays) and
// its routing offer, and its card is updated to say so. Its history, and
// the periods that counted it, stay. A won or lost lead stays as it is:
// nothing changes. It returns the change to save with l.
func (l *Lead) MergeInto(now time.Time, actor string, policy Policy) LeadChange {
	plan, err := PlanTransition(l.Stage, l.Reached, StageLost)
	if err != nil || !plan.Changed {
		return LeadChange{}
	}
	details := policy.ReasonDetails(MergedReason, "", false)
	if details == nil {
		details = map[string]string{}
	}
	details["reason"] = MergedReason
	l.Reason = MergedReason
	l.UpdatedAt = now
	return NewChange(l, l.EnterStages(plan, now, actor, details, policy))
}
