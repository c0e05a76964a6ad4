package handoff

import "slices"

// managersKinds are the kinds of chat work that go to a platform's
// managers' channel: an escalation, the weekly digest, a note to the
// managers, a deactivated rep's note and a given-up card's note (and the
// update of that note once the card is posted).
var managersKinds = []string{OutboxEscalate, OutboxDigest, OutboxManagersNote, OutboxRepDeactivated, OutboxCardGivenUp}

// ToManagers reports whether chat work of kind goes to the managers'
// channel: a replica without one on a platform skips it there, so it is
// left to a replica serving that platform that has one (storage's
// TakeOutbox), and a message of it for every platform is split only
// among the platforms with one (the outbox's fanOut).
func ToManagers(kind string) bool { return slices.Contains(managersKinds, kind) }

// ManagersKinds returns the kinds ToManagers reports, for a store to
// select them by.
func ManagersKinds() []string { return slices.Clone(managersKinds) }
