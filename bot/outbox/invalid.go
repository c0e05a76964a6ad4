package outbox

import (
	"context"
	"fmt"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
)

// storeRefused reports whether err is the store refusing what it was
// given as invalid (handoff.EINVALID): a value a platform answered that
// a column cannot keep and no check caught first. Sent again, the
// message would be refused again, after posting or asking again, until
// the give-up deadline: it is given up at once instead. A transient
// store error (a lost connection) is not a refusal and is retried.
func storeRefused(err error) bool {
	return err != nil && handoff.ErrorCode(err) == handoff.EINVALID
}

// refusedIsPermanent is err made permanent when the store refused what
// a delivery gave it to keep (storeRefused), err otherwise.
func refusedIsPermanent(err error) error {
	if storeRefused(err) && !bot.IsPermanent(err) {
		return bot.Permanent(fmt.Errorf("the store refused it: %w", err))
	}
	return err
}

// recordRefused records as given up the outcomes whose record the store
// refused as invalid (record), naming what it refused, and logs them; a
// message delivered but whose result cannot be kept is not sent again.
func (d *Dispatcher) recordRefused(ctx context.Context, refused []handoff.OutboxOutcome) {
	if len(refused) == 0 {
		return
	}
	dead := make([]handoff.OutboxOutcome, 0, len(refused))
	for _, o := range refused {
		d.park(o.Message)
		dead = append(dead, handoff.OutboxOutcome{Message: o.Message, At: o.At, Dead: true, Cause: o.Cause})
	}
	d.record(ctx, dead)
}
