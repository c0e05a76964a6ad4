package outbox

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/handoff/handoff"
)

// RunOnce leases the due messages for the platforms it has a client for
// (and for none in particular) and delivers them one by one. It returns
// how many it handled, and an error only when the outbox cannot be read.
//
// The round's bookkeeping is batched: outcomes are recorded together, in
// one transaction, when the round ends. An outcome that created chat posts
// (a card, a direct message) is recorded at once with those before it, so
// that a message the platform acknowledged with an id is stored before the
// next is sent; so are all outcomes once half the lease has run, before
// it could lapse. A crash can therefore repeat at most one round's notices
// and card updates (updates are idempotent), never a card. When ctx ends
// mid-round, the message being sent is finished and the others are given
// back untried, for another replica to send at once.
func (d *Dispatcher) RunOnce(ctx context.Context) (int, error) {
	budget := d.cfg.Yield
	d.yield(ctx, &budget)
	d.readRefused(ctx)
	d.warnUnserved(ctx)
	taken := d.cfg.Now().UTC()
	d.mu.Lock()
	d.taken = taken
	d.mu.Unlock()
	msgs, err := d.cfg.Store.TakeOutbox(ctx, taken, d.cfg.Batch, d.cfg.Lease, d.cfg.Worker, d.served...)
	if err != nil {
		return 0, fmt.Errorf("outbox: take: %w", err)
	}
	d.forgetSeen()
	split, err := d.splitting(ctx, taken, msgs)
	if err != nil {
		d.record(ctx, untried(msgs))
		return 0, fmt.Errorf("outbox: take: %w", err)
	}
	leased := taken.Add(d.cfg.Lease)
	refreshed := map[string]bool{} // one refresh per lead and platform per round
	var pending []handoff.OutboxOutcome
	for i, m := range msgs {
		d.yield(ctx, &budget)
		if ctx.Err() != nil {
			// Stopping: what was not started is given back, so that
			// another replica sends it now, not once its lease ran out.
			pending = append(pending, untried(msgs[i:])...)
			break
		}
		if d.leaseShort(leased) {
			pending = d.record(ctx, pending)
		}
		d.serve(ctx)
		o, ok := d.handle(ctx, m, leased, refreshed, split)
		if !ok {
			continue
		}
		pending = append(pending, o)
		if len(o.Posts) > 0 {
			pending = d.record(ctx, pending)
		}
	}
	d.record(ctx, pending)
	d.hastenRetries(ctx)
	return len(msgs), nil
}

// splitting says where the messages for every platform a round took go
// besides this worker's platforms (fanOut).
type splitting struct {
	// others are the platforms this worker lacks that other replicas
	// serve, or served lately (Store.OtherPlatforms).
	others []string
	// elsewhere are the platforms of this worker without a managers'
	// channel on which a replica serving them now has one
	// (Store.ManagersElsewhere).
	elsewhere []string
}

// splitting reads, at now, where the messages for every platform among
// msgs go besides this worker's platforms: the other platforms only when
// msgs hold a message fanOut may split for them, the managers' channels
// of other replicas only when they hold a managers' message and this
// worker lacks a managers' channel on one of its platforms.
func (d *Dispatcher) splitting(ctx context.Context, now time.Time, msgs []handoff.OutboxMessage) (splitting, error) {
	var split splitting
	if !slices.ContainsFunc(msgs, splitsFor) {
		return split, nil
	}
	var err error
	if split.others, err = d.cfg.Store.OtherPlatforms(ctx, now, d.served); err != nil {
		return split, err
	}
	var without []string
	for _, t := range d.cfg.Targets {
		if t.ManagerChannel == "" {
			without = append(without, t.Platform.Name())
		}
	}
	toManagers := func(m handoff.OutboxMessage) bool { return splitsFor(m) && handoff.ToManagers(m.Kind) }
	if len(without) > 0 && slices.ContainsFunc(msgs, toManagers) {
		split.elsewhere, err = d.cfg.Store.ManagersElsewhere(ctx, now, without)
	}
	return split, err
}

// untried are the outcomes that give msgs back untried.
func untried(msgs []handoff.OutboxMessage) []handoff.OutboxOutcome {
	out := make([]handoff.OutboxOutcome, len(msgs))
	for i, m := range msgs {
		out[i] = handoff.OutboxOutcome{Message: m, Untried: true}
	}
	return out
}

// yield waits while interactive requests are in flight, out of the
// round's budget.
func (d *Dispatcher) yield(ctx context.Context, budget *time.Duration) {
	if *budget <= 0 || d.cfg.Interactive.InFlight() == 0 {
		return
	}
	start := time.Now()
	d.cfg.Interactive.Wait(ctx, *budget)
	*budget -= time.Since(start)
}

// leaseShort reports whether a lease that ends at leased has less than
// half of Lease (or a call's timeout) left.
func (d *Dispatcher) leaseShort(leased time.Time) bool {
	return leased.Sub(d.cfg.Now().UTC()) <= max(d.cfg.Lease/2, d.cfg.CallTimeout)
}

// record writes the outcomes in one transaction, with the shown time of
// the new cards among them (their Shown), logs those that could not be
// recorded, gives up at once those whose record the store refused as
// invalid (recordRefused), and returns outcomes emptied for reuse. It
// records even when ctx has ended: a post the platform acknowledged
// must be marked sent.
func (d *Dispatcher) record(ctx context.Context, outcomes []handoff.OutboxOutcome) []handoff.OutboxOutcome {
	if len(outcomes) == 0 {
		return outcomes
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	var refused []handoff.OutboxOutcome
	for i, err := range d.cfg.Store.RecordOutbox(wctx, outcomes...) {
		o := outcomes[i]
		m := o.Message
		log := d.logger.With("outbox_id", m.ID, "kind", m.Kind, "lead", m.LeadID, "platform", m.Platform, "attempt", m.Attempts)
		var notShown *handoff.ShownError
		switch {
		case errors.As(err, &notShown):
			log.ErrorContext(ctx, "outbox: card shown but not recorded", "err", err)
		case storeRefused(err) && !o.Dead && !o.Untried:
			o.Cause = "the store refused its result: " + err.Error()
			log.ErrorContext(ctx, "outbox: giving up: the store refused its result", "result", o.Result, "err", err)
			refused = append(refused, o)
		case err != nil && o.Untried:
			log.WarnContext(ctx, "outbox: not given back; it waits for its lease to end", "err", err)
		case err != nil && !o.Dead && o.Retry.IsZero():
			log.ErrorContext(ctx, "outbox: delivered but not marked done; it may be sent again", "result", o.Result, "err", err)
		case err != nil:
			log.ErrorContext(ctx, "outbox: record failure", "err", err)
		default:
			d.noteRefusals(wctx, o) // as the record: a requeue due is not lost to a shutdown
		}
	}
	d.recordRefused(ctx, refused)
	return outcomes[:0]
}

// cardShown is what showing a new SQL's card at now does to its lead
// (Lead.CardShown: the end of the system's delay; with
// sla.excuse_system_delay its claim deadline moves by that delay), for
// the store to apply in the transaction that records the card's post.
func (d *Dispatcher) cardShown(now time.Time) func(*handoff.Lead) bool {
	return func(l *handoff.Lead) bool { return l.CardShown(now, d.cfg.Policy) }
}
