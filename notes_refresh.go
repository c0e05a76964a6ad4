package handoff

// NotesRefresh returns the update of the posted managers' notes that name
// lead l (OutboxNotesOfLead) after a change made in chat (a release, a
// reassign, won, lost, recycled or not a fit) that gave it another owner
// than before or took it out of sales (wasOpen: its stage before was
// open); nil after any other change (a first contact, an opportunity). A
// note about a deactivated rep asks the managers to reassign or close its
// leads, and lists those taken care of since: it is rendered again when
// they act on one. A claim queues none, so that a claim of a lead that no
// note names costs nothing more; the note shows a lead claimed since when
// it is next rendered (a manager acting on another of its leads, or an
// erasure of one).
func NotesRefresh(l *Lead, before Owner, wasOpen bool) *OutboxMessage {
	if l.Owner == before && (!wasOpen || l.Stage.Open()) {
		return nil
	}
	return &OutboxMessage{Kind: OutboxNotesOfLead, LeadID: l.ID}
}
