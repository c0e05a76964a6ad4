package handoff

// NotesRefresh returns the refresh of lead l's chat messages
// (OutboxRefreshLead) that an input from outside chat (the API, a CRM's
// update, an import) needs when it changed what a managers' note about a
// deactivated rep shows of the lead (its owner, or its name or company,
// which name it) without an event, so that queued (the chat work its
// events caused: NewChange) holds none; nil when queued holds work
// already, the lead was never in chat (SQLAt) or nothing the note shows
// changed. before is the lead as it was.
//
// Every other change of a lead in chat (a claim, a release, a reassign, a
// stage, the SLA clock's release and escalations) queues a refresh of its
// chat messages already, and the delivery of a refresh renders the notes
// that name the lead again (bot/outbox): nothing is added to the change,
// a claim's hot path included. An owner_email or a rename queues none
// otherwise, and a note would go on naming the rep, or the old name.
func NotesRefresh(before, l *Lead, queued []OutboxMessage) *OutboxMessage {
	if len(queued) > 0 || l.SQLAt == nil {
		return nil
	}
	if before.Owner == l.Owner && before.Name == l.Name && before.Company == l.Company {
		return nil
	}
	return &OutboxMessage{Kind: OutboxRefreshLead, LeadID: l.ID}
}
