package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
)

// handle delivers one message, leased until leased, and returns the
// outcome to record, as long as this worker holds its lease: a lease with
// less than half of Lease (or a call's timeout) left is renewed first (a
// message whose lease another worker took while earlier ones were sent is
// left to that worker: no outcome), and the lease is kept alive while the
// message is sent. A message that cannot be delivered (a permanent error,
// a panic while building or rendering it, stored data that does not
// decode, data of its own the store refuses as invalid, or failing past
// the give-up deadline) is parked: marked dead,
// logged and counted, so the others go on and no replica retries it.
// split says which platforms a message for every platform goes to besides
// this worker's own (fanOut).
func (d *Dispatcher) handle(ctx context.Context, m handoff.OutboxMessage, leased time.Time, refreshed map[string]bool, split splitting) (handoff.OutboxOutcome, bool) {
	log := d.logger.With("outbox_id", m.ID, "kind", m.Kind, "lead", m.LeadID, "platform", m.Platform, "attempt", m.Attempts)
	if d.leaseShort(leased) {
		if err := d.cfg.Store.RenewOutbox(ctx, m, d.cfg.Now().UTC().Add(d.cfg.Lease)); err != nil {
			log.WarnContext(ctx, "outbox: lease lost before sending; left to its new holder", "err", err)
			return handoff.OutboxOutcome{}, false
		}
	}
	if copies, ok := d.fanOut(m, split.others, split.elsewhere); ok {
		return handoff.OutboxOutcome{Message: m, At: d.cfg.Now().UTC(), Result: fmt.Sprintf("fanned out to %d", len(copies)), Then: copies}, true
	}
	// A message being sent when ctx ends is finished (each call has its
	// timeout): a call cut off after the platform took it would leave a
	// posted card marked unsent, to be posted again by the next replica.
	mctx, release := d.keepLease(context.WithoutCancel(ctx), m, log)
	result, posts, err := d.safeDeliver(mctx, m, refreshed)
	release()
	if err == nil {
		err = unkeptPost(posts)
	}
	now := d.cfg.Now().UTC()
	o := handoff.OutboxOutcome{Message: m, At: now}
	var ra *bot.RetryAfterError
	switch {
	case err == nil:
		o.Result, o.Posts = result, posts
		if m.Kind == handoff.OutboxAnnounceLead && len(posts) > 0 {
			shown := shownAt(posts, now)
			o.Shown = d.cardShown(shown)
			if note := handoff.CardPostedAtLast(m, shown); note != nil && d.managersServed(ctx, now) {
				o.Then = append(o.Then, *note) // the note that it was given up says it is posted now
			}
		}
		return o, true
	case bot.IsPermanent(err):
		log.ErrorContext(ctx, "outbox: giving up", "err", err)
		d.park(m)
		o.Dead, o.RefusedBy = true, refusedBy(m, err)
	case errors.As(err, &ra) && !ra.Unavailable:
		// A rate limit (or a call not made while one lasts) is a hold,
		// not a failure: the platform answers, and said when to come
		// back. It is not counted as an attempt and never gives the
		// message up.
		after := max(ra.After, time.Second)
		log.WarnContext(ctx, "outbox: rate limited", "retry_in", after, "err", err)
		o.Retry, o.RetryAsked, o.Held = now.Add(after), true, true
	case !m.FailingSince.IsZero() && now.Sub(m.FailingSince) > d.cfg.GiveUpAfter:
		// Every transient failure ends here once the message has kept
		// failing longer than the deadline.
		log.ErrorContext(ctx, "outbox: giving up after retrying too long", "failing_since", m.FailingSince, "err", err)
		d.park(m)
		o.Dead = true
	case errors.As(err, &ra):
		after := max(ra.After, time.Second)
		log.WarnContext(ctx, "outbox: platform unavailable; waiting as long as it asked", "retry_in", after, "err", err)
		o.Retry, o.RetryAsked = now.Add(after), true
	default:
		wait := d.backoff(m.Attempts)
		log.WarnContext(ctx, "outbox: delivery failed", "retry_in", wait, "err", err)
		o.Retry = now.Add(wait)
	}
	o.Cause = err.Error()
	if note := handoff.CardGivenUp(m, o.Cause, o.RefusedBy != ""); o.Dead && note != nil && d.managersServed(ctx, now) {
		o.Then = append(o.Then, *note) // the managers learn that the lead never reached sales there
	}
	return o, true
}

// unkeptPost is a permanent error naming the first of posts the store
// cannot keep (handoff.CheckChatPost: a platform answered a channel or
// message id longer than their columns, which PostgreSQL holds to and
// SQLite does not), or nil. Such a delivery is given up whole, none of its
// posts recorded: recorded, it would fail on PostgreSQL after every
// attempt and be sent again; not recorded but marked sent, its card would
// never be updated nor erased without anyone knowing.
func unkeptPost(posts []handoff.ChatPost) error {
	for _, p := range posts {
		if problem := handoff.CheckChatPost(p); problem != "" {
			return bot.Permanent(fmt.Errorf("%s answered a post Handoff cannot keep, so cannot update or erase: its %s", p.Platform, problem))
		}
	}
	return nil
}

// refusedBy is the place whose refusal gave m up (bot.RefusedBy), to be
// queued again when the app is back there; none for a report someone
// shared to a channel of their choice, which is of its moment.
func refusedBy(m handoff.OutboxMessage, err error) string {
	if m.Kind == handoff.OutboxShare {
		return ""
	}
	return bot.RefusedBy(err)
}

// shownAt is when a card among posts was first shown: the earliest time
// an earlier attempt posted one (ChatPost.Posted), or else now.
func shownAt(posts []handoff.ChatPost, now time.Time) time.Time {
	at := now
	for _, p := range posts {
		if !p.Posted.IsZero() && p.Posted.Before(at) {
			at = p.Posted
		}
	}
	return at
}

// safeDeliver is deliver with a panic turned into a permanent error, and
// stored data that does not decode, or a write of the delivery's own
// data that the store refused as invalid (refusedIsPermanent), treated
// as permanent too.
func (d *Dispatcher) safeDeliver(ctx context.Context, m handoff.OutboxMessage, refreshed map[string]bool) (result string, posts []handoff.ChatPost, err error) {
	defer func() {
		if p := recover(); p != nil {
			result, posts, err = "", nil, bot.Permanent(fmt.Errorf("panic: %v", p))
		}
	}()
	result, posts, err = d.deliver(ctx, m, refreshed)
	if errors.Is(err, handoff.ErrCorrupt) {
		err = bot.Permanent(err)
	}
	return result, posts, refusedIsPermanent(err)
}

// park reports m set aside; its outcome marks it dead.
func (d *Dispatcher) park(m handoff.OutboxMessage) {
	if d.cfg.OnParked != nil {
		d.cfg.OnParked(m.Kind)
	}
}

// keepLease renews m's lease every third of Lease until release is
// called, and the record of the platforms this worker serves first
// (serve): one message's calls may outlast that record. The returned
// context ends when the lease is lost to another worker, so that no
// further call is made for m.
func (d *Dispatcher) keepLease(ctx context.Context, m handoff.OutboxMessage, log *slog.Logger) (context.Context, func()) {
	mctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick, stop := d.cfg.Ticker(max(d.cfg.Lease/3, time.Millisecond))
		defer stop()
		for {
			select {
			case <-mctx.Done():
				return
			case <-tick:
			}
			d.serve(mctx)
			err := d.cfg.Store.RenewOutbox(mctx, m, d.cfg.Now().UTC().Add(d.cfg.Lease))
			switch {
			case handoff.ErrorCode(err) == handoff.ECONFLICT:
				log.WarnContext(ctx, "outbox: lease lost while sending", "err", err)
				cancel()
				return
			case err != nil && mctx.Err() == nil:
				log.WarnContext(ctx, "outbox: renew lease", "err", err)
			}
		}
	}()
	return mctx, func() {
		cancel()
		<-done
	}
}

// decodePayload unmarshals an outbox payload.
func decodePayload(s string, v any) error {
	if err := json.Unmarshal([]byte(s), v); err != nil {
		return fmt.Errorf("outbox: decode payload: %w", err)
	}
	return nil
}
