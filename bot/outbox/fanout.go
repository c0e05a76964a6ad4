package outbox

import (
	"encoding/json"
	"slices"

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
// others are the platforms this worker lacks that other replicas serve,
// or served lately (Store.OtherPlatforms: a part waits for a replica of
// its platform, restarting or down a while): then every message for every platform but a
// routing step (which needs no chat platform) is split, a lead's refresh
// or erasure and the updates of the managers' notes too, with a copy for
// each of others, which a replica serving it takes, so that a replica
// lacking a platform does its own platforms' part and leaves the rest,
// whatever the platforms of the others.
//
// elsewhere are the platforms of this worker without a managers' channel
// on which a replica serving them now has one (Store.ManagersElsewhere): a
// managers' message gets a copy for each of them too, which this worker's
// take leaves to that replica (storage's leaveManagers), rather than none.
func (d *Dispatcher) fanOut(m handoff.OutboxMessage, others, elsewhere []string) ([]handoff.OutboxMessage, bool) {
	if m.Platform != "" || len(d.cfg.Targets)+len(others) < 2 {
		return nil, false
	}
	managers := false
	switch {
	case m.Kind == handoff.OutboxAnnounceLead:
	case m.Kind == handoff.OutboxCardGivenUp:
		// The note that the card was posted at last updates the notes
		// of every platform in one message, unless another replica
		// serves some of them.
		var n handoff.GivenUpNotice
		if err := json.Unmarshal([]byte(m.Payload), &n); err != nil {
			return nil, false
		}
		managers = n.Posted.IsZero()
		if !managers && len(others) == 0 {
			return nil, false
		}
	case handoff.ToManagers(m.Kind):
		managers = true
	case m.Kind == handoff.OutboxRefreshLead, m.Kind == handoff.OutboxEraseLead, m.Kind == handoff.OutboxNotesOfLead:
		if len(others) == 0 {
			return nil, false
		}
	default:
		return nil, false
	}
	copies := []handoff.OutboxMessage{}
	for _, t := range d.cfg.Targets {
		if !managers || t.ManagerChannel != "" || slices.Contains(elsewhere, t.Platform.Name()) {
			copies = append(copies, handoff.OutboxMessage{Kind: m.Kind, LeadID: m.LeadID, Platform: t.Platform.Name(), Payload: m.Payload})
		}
	}
	for _, p := range others { // whose replicas skip it without a managers' channel
		copies = append(copies, handoff.OutboxMessage{Kind: m.Kind, LeadID: m.LeadID, Platform: p, Payload: m.Payload})
	}
	return copies, true
}

// splitsFor reports whether a message m is one fanOut may split for
// others: a message for every platform but a routing step.
func splitsFor(m handoff.OutboxMessage) bool {
	return m.Platform == "" && m.Kind != handoff.OutboxRouteLead
}
