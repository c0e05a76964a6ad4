package outbox

import "context"

// serve renews the record of the platforms this worker serves
// (Store.ServeOutbox; the store writes it once a third of its time has
// passed), which TakeOutbox makes at the start of each round, while the
// round runs: before each message and at each renewal of a message's
// lease (keepLease). Renewed only at the rounds' starts, the record of a
// replica in a round longer than it (a large batch, a slow or
// rate-limiting platform) ended while the replica still served its
// platforms, and counted as gone (storage's DropPendingOutbox deletes
// the platform's ended records). A failure is logged: the record is
// written again at the next call.
func (d *Dispatcher) serve(ctx context.Context) {
	if err := d.cfg.Store.ServeOutbox(ctx, d.cfg.Worker, d.cfg.Now().UTC(), d.cfg.Lease, d.served...); err != nil && ctx.Err() == nil {
		d.logger.WarnContext(ctx, "outbox: the record of the platforms this replica serves is not renewed", "err", err)
	}
}
