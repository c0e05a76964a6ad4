package handlers_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/storage/storagetest"
)

// An offer's Accept that Teams delivers again, to the other replica, as
// an invoke or an Action.Submit message, is the Claim's click: it claims
// at most once and writes nothing more. Rita is offered each lead; her
// Accept again is answered with the card she claimed, Bob's Accept of
// her offer again and her Accept again after a manager claimed the lead
// send one refusal each, and her Accept again after a release, the one
// that claimed or one that changed nothing, does not claim the lead back.
func TestTeamsAcceptDeliveredAgain(t *testing.T) {
	policy := offersToRita()
	accept := func(id int64) map[string]any {
		return map[string]any{"action": bot.ActionAccept, "value": fmt.Sprint(id)}
	}
	ritaAccepts := func(e *teamsEnv, id int64) { e.invoke(ritaID, "Rita Rep", accept(id)) }
	managerClaims := func(e *teamsEnv, id int64) {
		e.invoke(managerID, "Boss", map[string]any{"action": bot.ActionClaim, "value": fmt.Sprint(id)})
	}
	cases := []claimAgainCase{
		{name: "Won", user: ritaID, userName: "Rita Rep", owner: ritaID, claims: 1,
			answers: [2]string{"Claimed by", "Claimed by"}},
		{name: "OfferedElsewhere", user: bobID, userName: "Bob", refusals: 1,
			answers: [2]string{"Offered to", "Offered to"}},
		{name: "Lost", user: ritaID, userName: "Rita Rep", owner: managerID, claims: 1, refusals: 1,
			before: managerClaims, answers: [2]string{"Claimed by", "Claimed by"}},
		{name: "ReleasedBetween", user: ritaID, userName: "Rita Rep", claims: 1,
			between: ritaReleases, answers: [2]string{"Claimed by", bot.ActionClaim}},
		{name: "OwnersClickReleasedBetween", user: ritaID, userName: "Rita Rep", claims: 1,
			before: ritaAccepts, between: ritaReleases, answers: [2]string{"Claimed by", bot.ActionClaim}},
	}
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			e1, e2 := teamsReplicasWith(t, dialect, nil, policy)
			e1.install()
			offered := func(ext string) int64 { return e1.offerToRita(e1.newSQL(ext)) }
			runClaimAgain(t, e1, e2, offered, accept, cases)
		})
	}
}

// offersToRita is the default policy under round-robin routing with Rita
// its one rep.
func offersToRita() handoff.Policy {
	policy := handoff.DefaultPolicy()
	policy.Routing = handoff.Routing{Mode: handoff.RouteRoundRobin, OfferFor: 15 * time.Minute, OfferRounds: 1,
		Reps: []handoff.Rep{{Ref: handoff.RepRef{Platform: "teams", ID: ritaID}, Weight: 1}}}
	return policy
}

// offerToRita takes lead id's first routing step under e's policy
// (offersToRita), which offers it to Rita, and returns id.
func (e *teamsEnv) offerToRita(id int64) int64 {
	e.t.Helper()
	l, _, ok, err := e.store.RouteLead(context.Background(), id, handoff.RouteRequest{Routing: e.policy.Routing}, e.clock.Now())
	if err != nil || !ok || !l.Offer.OfferedTo(handoff.RepRef{Platform: "teams", ID: ritaID}) {
		e.t.Fatalf("route lead %d: step %v, offer %+v, %v; want it offered to Rita", id, ok, l.Offer, err)
	}
	return id
}
