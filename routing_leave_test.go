package handoff

import (
	"testing"
	"time"
)

// A lead that leaves the SQL stage by any path ends its offer as a claim
// does: no longer offered, no next look, and the offered rep's direct
// message updated once.
func TestLeavingSQLEndsTheOffer(t *testing.T) {
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	ann := RepRef{Platform: "slack", ID: "U0ANN0001"}
	for _, tc := range []struct {
		name  string
		state OfferState
		to    Stage
		dm    bool
	}{
		{"claimed while offered", OfferOffered, StageClaimed, true},
		{"contacted while offered", OfferOffered, StageContacted, true},
		{"recycled while offered", OfferOffered, StageRecycled, true},
		{"lost while offered", OfferOffered, StageLost, true},
		{"opportunity while offered", OfferOffered, StageOpportunity, true},
		{"claimed while waiting", OfferWaiting, StageClaimed, false},
		{"claimed while open", OfferOpen, StageClaimed, false},
		{"lost while pending", OfferPending, StageLost, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := &Lead{ID: 7, Stage: StageSQL, Reached: StageSQL.Rank(), SQLAt: &at, ClaimDueAt: &at,
				Offer: &Offer{State: tc.state, Until: at.Add(15 * time.Minute), Seq: 1}}
			if tc.state == OfferOffered {
				l.Offer.Rep = ann
			}
			plan, err := PlanTransition(l.Stage, l.Reached, tc.to)
			if err != nil {
				t.Fatal(err)
			}
			change := NewChange(l, l.EnterStages(plan, at.Add(time.Minute), ActorAPI, nil, DefaultPolicy()))
			if l.Offer.State != OfferClaimed || !l.Offer.Until.IsZero() || l.RouteDue(at.Add(time.Hour)) {
				t.Errorf("offer after leaving SQL = %+v, want ended", l.Offer)
			}
			dms := 0
			for _, m := range change.Outbox {
				if m.Kind == OutboxOffer {
					dms++
				}
			}
			if want := map[bool]int{true: 1, false: 0}[tc.dm]; dms != want {
				t.Errorf("%d offer messages, want %d: %+v", dms, want, change.Outbox)
			}
			if again := NewChange(l, []Event{{Kind: EventReassign, At: at}}); len(again.Outbox) != 1 {
				t.Errorf("a later change queues %+v, want only the refresh", again.Outbox)
			}
		})
	}
	// A transition that leaves the lead an SQL keeps the offer.
	l := &Lead{ID: 7, Stage: StageSQL, Reached: StageSQL.Rank(), SQLAt: &at, Offer: &Offer{State: OfferOffered, Rep: ann, Until: at}}
	l.EnterStages(Transition{}, at, ActorAPI, nil, DefaultPolicy())
	if !l.Offer.OfferedTo(ann) {
		t.Errorf("an SQL that stays one lost its offer: %+v", l.Offer)
	}
}

// An offer runs out at its Until, and only while the lead is offered.
func TestOfferRanOut(t *testing.T) {
	until := time.Date(2026, 11, 23, 9, 15, 0, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		offer *Offer
		now   time.Time
		want  bool
	}{
		{"no offer", nil, until, false},
		{"before its time", &Offer{State: OfferOffered, Until: until}, until.Add(-time.Second), false},
		{"at its time", &Offer{State: OfferOffered, Until: until}, until, true},
		{"after its time", &Offer{State: OfferOffered, Until: until}, until.Add(time.Hour), true},
		{"open to everyone", &Offer{State: OfferOpen}, until, false},
		{"claimed", &Offer{State: OfferClaimed}, until, false},
	} {
		if got := tc.offer.RanOut(tc.now); got != tc.want {
			t.Errorf("%s: RanOut = %v, want %v", tc.name, got, tc.want)
		}
	}
}
