package handoff

import (
	"strings"
	"time"
)

// SLAOwner returns the rep a contact promise counts for in the figures per
// rep (/sla, the digest's per-rep table, the funnel of one owner): the rep
// who held the lead when the promise was settled, at its first contact
// (met) or when its deadline passed (breached); the zero Owner, nobody,
// when the lead was unclaimed then. A pending promise counts for the
// owner now.
//
// owner is the lead's owner now and holder who held it when it was
// settled, recorded when the lead changed hands after that (Lead.handOver;
// nil when nothing was recorded: the owner now held it then, or nobody
// did). A lead claimed only once its deadline had passed without contact
// in time was nobody's when the deadline passed: the breach is not the
// claimer's. claimedAt, contactDue and contactedAt are the cycle's. The
// store repeats this rule in SQL (storage/compliance.go, slaOwnerCol).
func SLAOwner(owner Owner, holder *Owner, claimedAt, contactDue, contactedAt *time.Time) Owner {
	switch {
	case holder != nil:
		return *holder
	case contactDue != nil && claimedAt != nil && !claimedAt.Before(*contactDue) &&
		(contactedAt == nil || contactedAt.After(*contactDue)):
		return Owner{}
	}
	return owner
}

// SLAOwner is the rep the lead's current contact promise counts for
// (SLAOwner of its owner, holder and times).
func (l *Lead) SLAOwner() Owner {
	return SLAOwner(l.Owner, l.SLAHolder, l.ClaimedAt, l.ContactDueAt, l.ContactedAt)
}

// SLAOwner is the rep the finished cycle's contact promise counts for.
func (c SLACycle) SLAOwner() Owner {
	return SLAOwner(c.Owner, c.Holder, c.ClaimedAt, c.ContactDueAt, c.ContactedAt)
}

// handOver records, as the lead changes hands at at (a release, a
// reassign, the SLA clock's release), who held it when its contact promise
// was settled, if it was settled by then and nobody was recorded yet: the
// figures per rep go on counting the promise for that rep (SLAOwner).
func (l *Lead) handOver(at time.Time) {
	if l.SLAHolder != nil {
		return
	}
	if outcome, _ := SettleSLA(l.ContactDueAt, l.ContactedAt, at); outcome != SLAMet && outcome != SLABreached {
		return
	}
	holder := l.SLAOwner()
	l.SLAHolder = &holder
}

// Reassign makes owner the owner of the claimed (or later) lead at at, as
// a manager's reassign does, keeping whom its settled contact promise
// counts for (handOver).
func (l *Lead) Reassign(owner Owner, at time.Time) {
	l.handOver(at)
	l.Owner = owner
}

// ownerRenamed reports whether naming the rep with email as the owner (an
// intake's owner_email: the API, a CSV import) changes the lead's owner:
// not for an empty email, nor for an owner with that email (in any case)
// whatever platform they claimed it from; yes for another owner, a
// platform user whose email is not known included, whom the rep named by
// email alone replaces. The caller records who held a settled promise
// first (handOver), as Reassign does.
func (l *Lead) ownerRenamed(email string) bool {
	return email != "" && !strings.EqualFold(l.Owner.Email, email)
}
