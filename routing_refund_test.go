package handoff

import (
	"maps"
	"testing"
	"time"
)

// A lead that leaves the SQL stage while offered to a rep who does not end
// up owning it refunds that offer's credits in the change, once: the rep
// never got the lead. The rep who accepts it (or is given it) keeps the
// charge, and a lead that was not offered to anyone has nothing to refund.
func TestLeavingSQLRefundsTheOffer(t *testing.T) {
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	ann := RepRef{Platform: "slack", ID: "U0ANN0001"}
	mail := RepRef{Platform: "teams", ID: "ann@seller.example"}
	charge := map[string]int64{ann.Key(): -1, "slack:U0BO00002": 1}
	refund := map[string]int64{ann.Key(): 1, "slack:U0BO00002": -1}
	annOwner := Owner{Platform: "slack", UserID: ann.ID}
	cy := Owner{Platform: "slack", UserID: "U0CY00003", Email: "cy@seller.example"}
	for _, tc := range []struct {
		name  string
		offer *Offer // nil: claim routing
		to    Stage
		owner *Owner // set after the transition, as a claim or a reassign does; nil keeps the lead's
		want  map[string]int64
	}{
		{"reassigned to another rep", &Offer{State: OfferOffered, Rep: ann, Credits: charge}, StageClaimed, &cy, refund},
		{"lost while offered", &Offer{State: OfferOffered, Rep: ann, Credits: charge}, StageLost, nil, refund},
		{"recycled while offered", &Offer{State: OfferOffered, Rep: ann, Credits: charge}, StageRecycled, nil, refund},
		{"contacted (CRM) while offered", &Offer{State: OfferOffered, Rep: ann, Credits: charge}, StageContacted, nil, refund},
		{"offer ran out, step not yet taken, lost", &Offer{State: OfferOffered, Rep: ann, Until: at.Add(-time.Minute), Credits: charge}, StageLost, nil, refund},
		{"accepted by the offered rep", &Offer{State: OfferOffered, Rep: ann, Credits: charge}, StageClaimed, &annOwner, nil},
		{"reassigned to the offered rep", &Offer{State: OfferOffered, Rep: ann, Credits: charge}, StageClaimed, &Owner{Platform: "slack", UserID: ann.ID, Email: "ann@seller.example"}, nil},
		{"accepted by the rep named by email", &Offer{State: OfferOffered, Rep: mail, Credits: charge}, StageClaimed, &Owner{Platform: "teams", UserID: "8f1c-entra", Email: "Ann@Seller.example"}, nil},
		{"claimed while open to the channel", &Offer{State: OfferOpen, Credits: charge}, StageClaimed, &cy, nil},
		{"claimed while waiting", &Offer{State: OfferWaiting}, StageClaimed, &cy, nil},
		{"lost while pending", &Offer{State: OfferPending}, StageLost, nil, nil},
		{"claim routing", nil, StageClaimed, &cy, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := &Lead{ID: 7, Stage: StageSQL, Reached: StageSQL.Rank(), SQLAt: &at, ClaimDueAt: &at, Offer: tc.offer}
			if l.Offer != nil && l.Offer.Until.IsZero() && l.Offer.State == OfferOffered {
				l.Offer.Until = at.Add(15 * time.Minute)
			}
			plan, err := PlanTransition(l.Stage, l.Reached, tc.to)
			if err != nil {
				t.Fatal(err)
			}
			events := l.EnterStages(plan, at.Add(time.Minute), ActorAPI, nil, DefaultPolicy())
			if tc.owner != nil {
				l.Owner = *tc.owner
			}
			change := NewChange(l, events)
			if !maps.Equal(change.Credits, tc.want) || (tc.want == nil) != (change.Credits == nil) {
				t.Errorf("credits %v, want %v", change.Credits, tc.want)
			}
			if again := NewChange(l, []Event{{Kind: EventReassign, At: at}}); again.Credits != nil {
				t.Errorf("a later change refunds again: %v", again.Credits)
			}
		})
	}

	// Lead.Claim decides it too: a claim by the offered rep keeps the
	// charge, one by another rep refunds it.
	for _, tc := range []struct {
		owner Owner
		want  map[string]int64
	}{{annOwner, nil}, {cy, refund}} {
		l := &Lead{ID: 7, Stage: StageSQL, Reached: StageSQL.Rank(), SQLAt: &at, ClaimDueAt: &at,
			Offer: &Offer{State: OfferOffered, Rep: ann, Until: at.Add(15 * time.Minute), Credits: charge}}
		change, ok := l.Claim(tc.owner, at, Policy{}, "slack:"+tc.owner.UserID)
		if !ok || !maps.Equal(change.Credits, tc.want) {
			t.Errorf("claim by %s: claimed %v, credits %v, want %v", tc.owner.UserID, ok, change.Credits, tc.want)
		}
	}
}
