package storage

import "github.com/handoff/handoff"

// Sizes of the columns that hold what a chat platform sends, in
// characters. PostgreSQL refuses a longer value, SQLite keeps it (its
// columns are text), so the store refuses it (EINVALID) or cuts it
// itself, alike on both. Earlier versions made the user ids 100 and the
// actor, away_set_by 200 characters: AutoMigrate widens PostgreSQL's
// columns (ALTER COLUMN … TYPE, no rewrite); SQLite's need nothing.
const (
	// actorColumnLen holds an actor, "teams:<id>" for a platform's id of
	// handoff.MaxChatIDLen: an event's, an away's setter. The ids
	// themselves have columns of 300 (the leads' owner and SLA holder:
	// text, see leadRow).
	actorColumnLen = 320
	// repKeyColumnLen holds a rep's key in rep_states: "slack:<id>",
	// "teams:<id>", "teams:<email>".
	repKeyColumnLen = 350
	// resultColumnLen holds an outbox message's result.
	resultColumnLen = 200
	// emailColumnLen holds an owner's and an SLA holder's email (leads,
	// sla_cycles): one from the intake (handoff.MaxFieldLen) or one a
	// platform answered (handoff.MaxEmailLen).
	emailColumnLen = 500
)

// checkLen returns an EINVALID error naming what when s is longer than
// max characters, the size of its column; nil otherwise.
func checkLen(what, s string, max int) error {
	if p := handoff.CheckLen(s, max); p != "" {
		return handoff.Errorf(handoff.EINVALID, "%s is %s", what, p)
	}
	return nil
}

// checkOwnerID refuses an owner's or SLA holder's user id longer than
// handoff.MaxChatIDLen, as the platforms' edges do, and an email longer
// than its column (emailColumnLen; the bot keeps none a platform answers
// over handoff.MaxEmailLen).
func checkOwnerID(what string, o handoff.Owner) error {
	if err := checkLen(what+" user id", o.UserID, handoff.MaxChatIDLen); err != nil {
		return err
	}
	return checkLen(what+" email", o.Email, emailColumnLen)
}

// checkClaim refuses a claim whose owner or actor its columns cannot
// hold, before any write.
func checkClaim(owner handoff.Owner, actor string) error {
	if err := checkOwnerID("owner", owner); err != nil {
		return err
	}
	return checkLen("event actor", actor, actorColumnLen)
}

// sized is a value to store, what it is and the most characters it may
// have.
type sized struct {
	what, v string
	max     int
}

// checkLens returns checkLen's error for the first value too long.
func checkLens(values ...sized) error {
	for _, s := range values {
		if err := checkLen(s.what, s.v, s.max); err != nil {
			return err
		}
	}
	return nil
}
