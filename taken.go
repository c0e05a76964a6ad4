package handoff

// Taking says how a lead's owner came to own it, as the lead's history
// records it.
type Taking int

// How an owner took a lead.
const (
	// TakenUnrecorded: the history does not say. An intake's owner_email
	// gives a lead an owner without an event of its own, and a lead may
	// have been given one since its last recorded claim or reassign.
	TakenUnrecorded Taking = iota
	// TakenByClaim: the owner claimed the lead (the claimed stage event
	// is theirs).
	TakenByClaim
	// TakenByReassign: a manager reassigned the lead to the owner
	// (EventReassign).
	TakenByReassign
)

// HowTaken returns how owner came to own the lead whose history events
// is (oldest first, as the store returns it): by the last event that gave
// the lead an owner or took it away. A reassign (EventReassign) whose "to"
// names owner is TakenByReassign, and so is one whose "to" an erasure
// removed; a claimed stage event whose actor is owner is TakenByClaim (a
// manager's reassign of an SQL records the claimed stage as the manager's
// and then the reassign). A last such event that names someone else, a
// release or a new SQL (which leave the lead to nobody) and no such event
// are TakenUnrecorded, and so is an owner known by email alone.
func HowTaken(events []Event, owner Owner) Taking {
	if owner.Platform == "" || owner.UserID == "" {
		return TakenUnrecorded
	}
	key := owner.Platform + ":" + owner.UserID
	for i := len(events) - 1; i >= 0; i-- {
		e := events[i]
		switch {
		case e.Kind == EventReassign:
			if to := e.Details["to"]; to != "" && to != key {
				return TakenUnrecorded
			}
			return TakenByReassign
		case e.Kind == EventStage && e.Stage == StageClaimed:
			if e.Actor == key {
				return TakenByClaim
			}
			return TakenUnrecorded
		case e.Kind == EventRelease, e.Kind == EventStage && e.Stage == StageSQL:
			return TakenUnrecorded
		}
	}
	return TakenUnrecorded
}
