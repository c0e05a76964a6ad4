package handoff

import (
	"maps"
	"testing"
	"time"
)

// TestErasureEndsTheRouting: the erasure of an unclaimed SQL ends its
// routing, whatever state it was in, as erased (OfferErased, not claimed:
// nobody claimed it): no routing step is due or taken afterwards, a
// running offer's credits are refunded, and no offer message is queued
// (the erasure's own update shows every message of the lead as erased).
// Ended again (storage's migration of leads erased before), it refunds
// nothing more; and a Not a fit after keeps it erased. A claimed lead's
// ended offer is left as it was.
func TestErasureEndsTheRouting(t *testing.T) {
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	ann, bo := RepRef{Platform: "slack", ID: "U0ANN0001"}, RepRef{Platform: "slack", ID: "U0BO00002"}
	credits := map[string]int64{ann.Key(): -1, bo.Key(): 1}
	tests := []struct {
		name       string
		stage      Stage
		offer      Offer
		wantState  OfferState
		wantRefund map[string]int64
	}{
		{"offered", StageSQL, Offer{State: OfferOffered, Rep: ann, Until: at.Add(15 * time.Minute), Credits: credits, Seq: 1},
			OfferErased, map[string]int64{ann.Key(): 1, bo.Key(): -1}},
		{"offered, its time up", StageSQL, Offer{State: OfferOffered, Rep: ann, Until: at.Add(-time.Minute), Credits: credits, Seq: 1},
			OfferErased, map[string]int64{ann.Key(): 1, bo.Key(): -1}},
		{"waiting", StageSQL, Offer{State: OfferWaiting, Until: at.Add(time.Minute), Seq: 2}, OfferErased, nil},
		{"pending", StageSQL, Offer{State: OfferPending, Until: at}, OfferErased, nil},
		{"open to everyone", StageSQL, Offer{State: OfferOpen, Seq: 3}, OfferErased, nil},
		{"released, its offer claimed before", StageSQL, Offer{State: OfferClaimed, Rep: ann, Credits: credits, Seq: 1}, OfferErased, nil},
		{"claimed before", StageClaimed, Offer{State: OfferClaimed, Rep: ann, Credits: credits, Seq: 1}, OfferClaimed, nil},
	}
	r := Routing{Mode: RouteRoundRobin, Reps: []Rep{{Ref: ann, Weight: 1}, {Ref: bo, Weight: 1}}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := &Lead{ID: 7, Stage: tc.stage, Reached: tc.stage.Rank(), SQLAt: &at, Offer: tc.offer.Clone()}
			refund := l.EndOfferOnErasure()
			erased := at.Add(time.Minute)
			l.ErasedAt = &erased
			if !maps.Equal(refund, tc.wantRefund) {
				t.Errorf("refund %v, want %v", refund, tc.wantRefund)
			}
			if l.Offer.State != tc.wantState || !l.Offer.Until.IsZero() {
				t.Errorf("offer after the erasure %+v, want %s with no next look", l.Offer, tc.wantState)
			}
			if msgs, more := l.takeOfferEnd(); len(msgs) > 0 || len(more) > 0 {
				t.Errorf("the erasure left %+v and %v for a later change", msgs, more)
			}
			for _, now := range []time.Time{at, at.Add(time.Hour)} {
				if l.RouteDue(now) {
					t.Errorf("routing due at %s", now)
				}
			}
			if again := l.EndOfferOnErasure(); len(again) > 0 || l.Offer.State != tc.wantState {
				t.Errorf("ended again: refund %v, state %s; want none, %s", again, l.Offer.State, tc.wantState)
			}
			if tc.stage != StageSQL {
				return
			}
			plan, err := PlanTransition(l.Stage, l.Reached, StageRecycled)
			if err != nil {
				t.Fatal(err)
			}
			change := NewChange(l, l.EnterStages(plan, at.Add(2*time.Minute), ActorSystem, nil, Policy{}))
			if l.Offer.State != OfferErased || len(change.Credits) > 0 {
				t.Errorf("not a fit after the erasure: offer %s, credits %v; want %s, none", l.Offer.State, change.Credits, OfferErased)
			}
			for _, m := range change.Outbox {
				if m.Kind == OutboxOffer {
					t.Errorf("not a fit after the erasure queued %+v", m)
				}
			}
		})
	}
	// An erased lead whose offer the erasure did not end (erased before
	// Handoff ended it) has no routing step either: none due, no pass.
	for _, o := range []Offer{{State: OfferOffered, Rep: ann, Until: at}, {State: OfferWaiting, Until: at}, {State: OfferPending, Until: at}} {
		erased := at.Add(-time.Hour)
		l := &Lead{ID: 8, Stage: StageSQL, Reached: StageSQL.Rank(), SQLAt: &at, Offer: o.Clone(), ErasedAt: &erased}
		if l.RouteDue(at.Add(time.Hour)) {
			t.Errorf("%s: routing due for an erased lead", o.State)
		}
		if _, change, _, stepped := l.RouteStep(r, RouteInput{Now: at.Add(time.Hour)}, SkipPassed, ""); stepped || len(change.Outbox) > 0 {
			t.Errorf("%s: an erased lead was routed: %+v", o.State, change.Outbox)
		}
	}
}
