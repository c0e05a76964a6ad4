package outbox

import (
	"encoding/json"

	"github.com/handoff/handoff"
)

// fanOut splits a message meant for every platform (m.Platform "" with
// several enabled) into one copy per platform it goes to, so that a
// failure on one is retried without repeating the others: a new SQL's card
// to every platform, a message to the managers' channel to every platform
// that has one (none left: it is done). It reports false for a message
// that is not split. The copies are queued with the message's outcome
// (OutboxOutcome.Then), in the transaction that marks it done and only
// while this worker holds its lease: queued before, as soon as it was
// split, a replica stopped before that commit left its copies for the
// next holder to add to, and every platform got the card or note twice.
func (d *Dispatcher) fanOut(m handoff.OutboxMessage) ([]handoff.OutboxMessage, bool) {
	if m.Platform != "" || len(d.cfg.Targets) < 2 {
		return nil, false
	}
	managers := false
	switch m.Kind {
	case handoff.OutboxAnnounceLead:
	case handoff.OutboxEscalate, handoff.OutboxDigest, handoff.OutboxManagersNote, handoff.OutboxRepDeactivated:
		managers = true
	case handoff.OutboxCardGivenUp:
		// The note that the card was posted at last updates the notes
		// of every platform in one message.
		var n handoff.GivenUpNotice
		if err := json.Unmarshal([]byte(m.Payload), &n); err != nil || !n.Posted.IsZero() {
			return nil, false
		}
		managers = true
	default:
		return nil, false
	}
	copies := []handoff.OutboxMessage{}
	for _, t := range d.cfg.Targets {
		if !managers || t.ManagerChannel != "" {
			copies = append(copies, handoff.OutboxMessage{Kind: m.Kind, LeadID: m.LeadID, Platform: t.Platform.Name(), Payload: m.Payload})
		}
	}
	return copies, true
}
