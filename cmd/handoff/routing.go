package main

import (
	"context"
	"fmt"

	"github.com/handoff/handoff"
)

// routeRequest is the routing agreement with the reps' states now, for
// each routing step (the store adds the reps' balances).
func (a *app) routeRequest(ctx context.Context) (handoff.RouteRequest, error) {
	req := handoff.RouteRequest{Routing: a.cfg.Policy.Routing, Location: a.cfg.Policy.Location}
	if req.Routing.Mode != handoff.RouteRoundRobin {
		return req, nil
	}
	states, err := a.store.RepStates(ctx)
	if err != nil {
		return req, err
	}
	req.States = states
	return req, nil
}

// routeLead takes the routing step due for lead id: the outbox runs it for
// a new SQL under round-robin routing, the scheduler when an offer runs out
// or a waiting lead's next look comes.
func (a *app) routeLead(ctx context.Context, id int64) error {
	req, err := a.routeRequest(ctx)
	if err != nil {
		return fmt.Errorf("route lead %d: %w", id, err)
	}
	if _, _, _, err := a.store.RouteLead(ctx, id, req, a.now()); err != nil {
		return fmt.Errorf("route lead %d: %w", id, err)
	}
	return nil
}

// repBack makes the leads waiting for an available rep due for routing at
// once when a rep says /back; the scheduler wakes and offers them.
func (a *app) repBack(ctx context.Context, key string) {
	if _, err := a.store.WakeWaiting(ctx, a.now()); err != nil {
		a.logger.WarnContext(ctx, "routing: wake waiting leads", "rep", key, "err", err)
	}
}
