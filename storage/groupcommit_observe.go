package storage

import "time"

// The committers a GroupCommit names.
const (
	// CommitterSQLite is SQLite's one writer: every write of the store.
	CommitterSQLite = "sqlite"
	// CommitterIntake commits intake saves (SaveLead) on PostgreSQL.
	CommitterIntake = "intake"
	// CommitterOutbox commits outbox inserts (Enqueue) on PostgreSQL.
	CommitterOutbox = "outbox"
	// CommitterClaims commits claims (ClaimLead, ClaimLeadIf) on PostgreSQL.
	CommitterClaims = "claims"
)

// GroupCommit describes one group of writes that a group committer
// committed together (Options.OnGroupCommit).
type GroupCommit struct {
	// Committer is CommitterSQLite, CommitterIntake, CommitterOutbox or
	// CommitterClaims.
	Committer string
	// Size is how many writes the group held: saves, Enqueue calls,
	// claims and, on SQLite, any other write transaction.
	Size int
	// Took is the time from the committer taking the group's first write
	// from its queue to the end of its commit: on SQLite it includes the
	// wait for more saves (gatherSaves, at most 1 ms), and for a failed
	// group the writes run again alone.
	Took time.Duration
	// Failed reports that the group's shared transaction failed: each of
	// its writes was then run again in a transaction of its own (a group
	// of one was answered with the error). A write's own error, rolled
	// back alone, does not fail its group.
	Failed bool
}
