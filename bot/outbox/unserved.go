package outbox

import (
	"context"
	"maps"
	"slices"
	"time"
)

// UnservedAfter is how long a message for a platform this worker has no
// client for may wait, due and taken by no replica, before the worker
// warns that no replica serves that platform.
const UnservedAfter = 5 * time.Minute

// warnUnserved looks, at the first round and every UnservedAfter since,
// for the messages of platforms this worker does not serve (it leaves
// them to the replicas that do: TakeOutbox) that have waited over
// UnservedAfter, and warns of each such platform: no replica has its
// credentials (removed from the configuration, or a rolling deploy that
// adds it not done), and they wait, pending, until one has, or until an
// admin who removed the platform for good drops them (handoff outbox drop
// --platform P --pending).
func (d *Dispatcher) warnUnserved(ctx context.Context) {
	now := d.cfg.Now().UTC()
	d.mu.Lock()
	due := d.unservedRead.IsZero() || now.Sub(d.unservedRead) >= UnservedAfter || now.Before(d.unservedRead)
	if due {
		d.unservedRead = now
	}
	d.mu.Unlock()
	if !due {
		return
	}
	waiting, err := d.cfg.Store.UnservedOutbox(ctx, now, now.Add(-UnservedAfter), d.served)
	if err != nil {
		d.logger.WarnContext(ctx, "outbox: cannot count the messages for platforms this replica does not serve", "err", err)
		return
	}
	for _, p := range slices.Sorted(maps.Keys(waiting)) {
		d.logger.WarnContext(ctx, "outbox: messages for a platform this replica has no credentials for wait, and no other replica takes them: they stay pending until a replica is configured with the platform, and are sent then; if it was removed for good, the command named by drop_with deletes them",
			"platform", p, "messages", waiting[p], "waiting_over", UnservedAfter.String(), "serves", d.served,
			"drop_with", "handoff outbox drop --platform "+p+" --pending")
	}
}
