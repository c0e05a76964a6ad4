package handoff

import "errors"

// ErrCorrupt marks a stored record that cannot be read back (a column that
// does not decode, data an older version wrote): retrying will not help,
// so workers park the record instead.
var ErrCorrupt = errors.New("corrupt record")

// Parked is a record set aside because it could not be processed: it is
// skipped from then on, so one bad record never stops the work for the
// others. Cause says why (an error, or the value of a panic).
type Parked struct {
	ID    int64
	Cause string
}
