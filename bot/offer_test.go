package bot_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// The two reps of the offer tests, and the agreement that offers leads to
// them in turn, 15 minutes each, for two rounds.
var (
	ann = handoff.RepRef{Platform: "slack", ID: "UANN"}
	bo  = handoff.RepRef{Platform: "slack", ID: "UBO"}
)

func twoRepPolicy() handoff.Policy {
	policy := handoff.DefaultPolicy()
	policy.Routing = handoff.Routing{Mode: handoff.RouteRoundRobin, OfferFor: 15 * time.Minute, OfferRounds: 2,
		Reps: []handoff.Rep{{Ref: ann, Weight: 1}, {Ref: bo, Weight: 1}}}
	return policy
}

// saveSQL saves a new SQL of Acme under policy at t0 and returns its id.
func saveSQL(t *testing.T, s *storage.Store, key string, policy handoff.Policy) int64 {
	t.Helper()
	res, err := s.SaveLead(context.Background(), handoff.LeadInput{ExternalID: key, Company: "Acme", Stage: handoff.StageSQL}, policy, t0, handoff.ActorAPI)
	if err != nil {
		t.Fatal(err)
	}
	return res.Lead.ID
}

// While a lead is offered to one rep only that rep or a manager may take
// it; anyone else, and a Pass by anyone but the offered rep, is refused
// with a private notice and changes nothing.
func TestOfferWhoMayTakeIt(t *testing.T) {
	policy := twoRepPolicy()
	tests := []struct {
		name, user, action string
		wantOwner          string // "" when the lead stays offered
		wantNotice         string
	}{
		{"another rep claims", "UCY", bot.ActionClaim, "", "*Acme* (lead {id}) is offered to"},
		{"another rep accepts from an old message", "UBO", bot.ActionAccept, "", "*Acme* (lead {id}) is offered to"},
		{"another rep passes", "UBO", bot.ActionPass, "", "has ended"},
		{"a manager claims", "UBOSS", bot.ActionClaim, "UBOSS", ""},
		{"the offered rep accepts", "UANN", bot.ActionAccept, "UANN", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			storagetest.Each(t, func(t *testing.T, s *storage.Store) {
				ctx := context.Background()
				res, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: "offer", Company: "Acme", Stage: handoff.StageSQL}, policy, t0, handoff.ActorAPI)
				if err != nil {
					t.Fatal(err)
				}
				b := bot.New(bot.Config{Store: s, Policy: policy, Now: func() time.Time { return t0.Add(time.Minute) }, Logger: quiet(),
					Managers:     map[string]bot.Managers{"slack": managerList{"UBOSS": true}},
					SalesMembers: map[string]bot.SalesMembers{"slack": outsiders{}}})
				if err := b.Route(ctx, res.Lead.ID); err != nil {
					t.Fatal(err)
				}
				if _, err := b.Act(ctx, actor(tt.user), tt.action, fmt.Sprint(res.Lead.ID)); err != nil {
					t.Fatal(err)
				}
				l, err := s.Lead(ctx, res.Lead.ID)
				if err != nil {
					t.Fatal(err)
				}
				if l.Owner.UserID != tt.wantOwner || (tt.wantOwner == "") != l.Offer.OfferedTo(handoff.RepRef{Platform: "slack", ID: "UANN"}) {
					t.Errorf("owner %q, offer %+v; want owner %q", l.Owner.UserID, l.Offer, tt.wantOwner)
				}
				got := strings.Join(notices(t, s, l.ID, handoff.OutboxPrivate, tt.user), "\n")
				want := strings.ReplaceAll(tt.wantNotice, "{id}", fmt.Sprint(l.ID)) // the lead named as bot.LeadRef does
				if want == "" && got != "" || !strings.Contains(got, want) {
					t.Errorf("notices %q, want %q", got, want)
				}
			})
		})
	}
}

// interleaved is the store with a step run right after a claim's
// permission check: what lands between the check and the claim.
type interleaved struct {
	*storage.Store
	between func()
}

func (s *interleaved) ClaimLeadIf(ctx context.Context, id int64, owner handoff.Owner, now time.Time, p handoff.Policy, actor string, once handoff.Delivery, allow func(*handoff.Lead) error, welcome func(*handoff.Lead) []handoff.OutboxMessage) (*handoff.Lead, bool, error) {
	return s.Store.ClaimLeadIf(ctx, id, owner, now, p, actor, once, func(l *handoff.Lead) error {
		err := allow(l)
		if f := s.between; f != nil {
			s.between = nil
			f()
		}
		return err
	}, welcome)
}

// An Accept checked against an offer that the scheduler then times out
// and passes on to the next rep is refused with a notice that the offer
// moved on; the next rep's offer stays as it was.
func TestAcceptAfterOfferMovedOn(t *testing.T) {
	policy := twoRepPolicy()
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		id := saveSQL(t, s, "moved", policy)
		now := t0
		store := &interleaved{Store: s}
		b := bot.New(bot.Config{Store: store, Policy: policy, Now: func() time.Time { return now }, Logger: quiet(),
			SalesMembers: map[string]bot.SalesMembers{"slack": outsiders{}}})
		if err := b.Route(ctx, id); err != nil {
			t.Fatal(err)
		}
		offered, err := s.Lead(ctx, id)
		if err != nil || !offered.Offer.OfferedTo(ann) {
			t.Fatalf("first offer %+v, %v; want it to %v", offered.Offer, err, ann)
		}
		// The scheduler times Ann's offer out between her click's check
		// and its claim.
		store.between = func() {
			now = offered.Offer.Until
			if err := b.Route(ctx, id); err != nil {
				t.Fatal(err)
			}
			now = offered.Offer.Until.Add(-time.Second)
		}
		passed := offered.Offer.Until.Add(policy.Routing.OfferFor)
		if _, err := b.Act(ctx, actor("UANN"), bot.ActionAccept, fmt.Sprint(id)); err != nil {
			t.Fatal(err)
		}
		l, err := s.Lead(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if !l.Owner.IsZero() || l.Stage != handoff.StageSQL || !l.Offer.OfferedTo(bo) || !l.Offer.Until.Equal(passed) || l.Offer.Step() != offered.Offer.Step()+1 {
			t.Errorf("after the late Accept: owner %+v, stage %s, offer %+v; want it still offered to %v until %v", l.Owner, l.Stage, l.Offer, bo, passed)
		}
		if got := strings.Join(notices(t, s, id, handoff.OutboxPrivate, "UANN"), "\n"); !strings.Contains(got, "moved on") || !strings.Contains(got, "UBO") {
			t.Errorf("Ann's notices %q, want that the offer moved on to Bo", got)
		}
	})
}
