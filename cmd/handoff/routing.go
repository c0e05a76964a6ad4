package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/handoff/handoff"
	teamsbot "github.com/handoff/handoff/bot/teams"
	"github.com/handoff/handoff/storage"
)

// routeRequest is the routing agreement with the reps' states now, for
// each routing step (the store adds the reps' balances).
func (a *app) routeRequest(ctx context.Context) (handoff.RouteRequest, error) {
	req := handoff.RouteRequest{Routing: a.cfg.Policy.Routing, Location: a.cfg.Policy.Location}
	if req.Routing.Mode != handoff.RouteRoundRobin {
		return req, nil
	}
	states, err := a.repStates(ctx)
	if err != nil {
		return req, err
	}
	req.States = states
	return req, nil
}

// repStates are the reps' states now (storage.RepStates), with each Teams
// rep checked against the members of the sales channel's team: one who is
// a member but not a full member of the tenant (userRole "guest", or any
// role but "user") is marked a guest, and one named by an email that no
// member has unreachable. Routing skips them, with the reason, instead of
// offering a lead to someone Handoff refuses or whose direct message
// reaches nobody. When Teams cannot be asked the rep stays available (the
// offer's message is retried).
func (a *app) repStates(ctx context.Context) (map[string]handoff.RepState, error) {
	states, err := a.store.RepStates(ctx)
	if err != nil || a.roster == nil {
		return states, err
	}
	mark := func(rep handoff.RepRef, set func(*handoff.RepState)) {
		if states == nil {
			states = map[string]handoff.RepState{}
		}
		st := states[rep.Key()]
		set(&st)
		states[rep.Key()] = st
	}
	for _, rep := range a.cfg.Policy.Routing.Reps {
		if rep.Ref.Platform != teamsbot.Name {
			continue
		}
		m, err := a.roster.Find(ctx, rep.Ref.ID)
		switch {
		case err == nil && !m.FullMember():
			mark(rep.Ref, func(st *handoff.RepState) { st.Guest = teamsbot.NotFullMember(m.UserRole) })
		case handoff.ErrorCode(err) == handoff.ENOTFOUND && strings.Contains(rep.Ref.ID, "@"):
			mark(rep.Ref, func(st *handoff.RepState) {
				st.Unreachable = "no member of the Teams sales channel's team has this email"
			})
		case err != nil && handoff.ErrorCode(err) != handoff.ENOTFOUND:
			a.logger.WarnContext(ctx, "routing: cannot look a Teams rep up", "rep", handoff.RepLogKey(rep.Ref.Key()), "err", err)
		}
	}
	return states, nil
}

// routingView is the store with the reps' states as routing sees them
// (app.repStates), for /routing and GET /api/routing.
type routingView struct {
	*storage.Store
	states func(ctx context.Context) (map[string]handoff.RepState, error)
}

// RepStates returns the reps' states as routing sees them.
func (v routingView) RepStates(ctx context.Context) (map[string]handoff.RepState, error) {
	return v.states(ctx)
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
		a.logger.WarnContext(ctx, "routing: wake waiting leads", "rep", handoff.RepLogKey(key), "err", err)
	}
}
