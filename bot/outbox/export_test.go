package outbox

import (
	"context"

	"github.com/handoff/handoff"
)

// Record is record, for tests: it writes a round's outcomes as a round
// does, giving up those the store refuses.
func (d *Dispatcher) Record(ctx context.Context, outcomes ...handoff.OutboxOutcome) {
	d.record(ctx, outcomes)
}

// RefusedIsPermanent is refusedIsPermanent, for tests.
var RefusedIsPermanent = refusedIsPermanent
