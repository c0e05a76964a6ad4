package outbox

import (
	"context"
	"time"

	"github.com/handoff/handoff"
)

// Record is record, for tests: it writes a round's outcomes as a round
// does, giving up those the store refuses.
func (d *Dispatcher) Record(ctx context.Context, outcomes ...handoff.OutboxOutcome) {
	d.record(ctx, outcomes)
}

// NextDue is nextDue, for tests: when the dispatcher's next message is
// due, asked as it asks before it sleeps.
func (d *Dispatcher) NextDue(ctx context.Context) (time.Time, bool, error) {
	return d.nextDue(ctx)
}

// RefusedIsPermanent is refusedIsPermanent, for tests.
var RefusedIsPermanent = refusedIsPermanent

// UntilNextDue is untilNextDue, for tests: how long the dispatcher sleeps
// after a round that took less than a batch, unless woken.
func (d *Dispatcher) UntilNextDue(ctx context.Context) time.Duration {
	return d.untilNextDue(ctx)
}
