package outbox

import (
	"context"
	"fmt"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
)

// home delivers a handoff.OutboxHome message: it builds the user's home and
// publishes it, once per user and round however many changes asked for it.
// A platform without a home skips it.
func (d *Dispatcher) home(ctx context.Context, m handoff.OutboxMessage, refreshed map[string]bool) (string, []handoff.ChatPost, error) {
	t, err := d.target(m.Platform)
	if err != nil {
		return "", nil, err
	}
	hp, ok := t.Platform.(bot.HomePublisher)
	if !ok || d.cfg.Homes == nil {
		return "skipped: no home on " + m.Platform, nil, nil
	}
	var req handoff.HomeRequest
	if err := decodePayload(m.Payload, &req); err != nil || req.User == "" {
		return "", nil, bot.Permanent(fmt.Errorf("home without a user: %q", m.Payload))
	}
	key := "home/" + m.Platform + "/" + req.User
	if refreshed[key] {
		return "coalesced", nil, nil
	}
	h, err := d.cfg.Homes.Home(ctx, m.Platform, req.User)
	if err != nil {
		return "", nil, err
	}
	err = d.call(ctx, m.Platform, "home", func(ctx context.Context) error { return hp.PublishHome(ctx, req.User, h) })
	if err != nil {
		return "", nil, fmt.Errorf("home of %s:%s: %w", m.Platform, req.User, err)
	}
	refreshed[key] = true
	return "published", nil, nil
}

// enqueueHome queues the republishing of owner's home after their lead
// changed, when owner's platform has homes.
func (d *Dispatcher) enqueueHome(ctx context.Context, owner handoff.Owner) error {
	t, ok := d.platforms[owner.Platform]
	if !ok || d.cfg.Homes == nil {
		return nil
	}
	msg := handoff.HomeRefresh(owner)
	if _, isHome := t.Platform.(bot.HomePublisher); !isHome || msg == nil {
		return nil
	}
	if err := d.cfg.Store.Enqueue(ctx, d.cfg.Now().UTC(), *msg); err != nil {
		return fmt.Errorf("queue the home of %s:%s: %w", owner.Platform, owner.UserID, err)
	}
	return nil
}
