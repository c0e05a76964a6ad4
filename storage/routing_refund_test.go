package storage_test

import (
	"context"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// A lead that leaves the SQL stage while offered to Ann, by any path that
// does not give it to Ann (a manager's reassign, a claim by another rep in
// a batch or a transaction of its own, lost or recycled by intake, one
// lead or a bulk import), refunds Ann's offer in the same transaction: the
// balances are what they were before the offer, and the next lead is
// offered to Ann again. Ann's own accept keeps the charge: the next lead
// goes to Bo.
func TestLeavingSQLRefundsTheOfferInStore(t *testing.T) {
	policy := handoff.DefaultPolicy()
	policy.Routing = roundRobin()
	cy := handoff.Owner{Platform: "slack", UserID: "U0CY00003"}
	leave := func(ctx context.Context, s *storage.Store, lead *handoff.Lead, to handoff.Stage, at time.Time) error {
		_, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: lead.ExternalID, Stage: to, Reason: "budget"}, policy, at, handoff.ActorAPI)
		return err
	}
	for _, tc := range []struct {
		name string
		end  func(ctx context.Context, s *storage.Store, lead *handoff.Lead, at time.Time) error
		next handoff.RepRef // whom the next lead is offered to
	}{
		{"reassigned to another rep", func(ctx context.Context, s *storage.Store, lead *handoff.Lead, at time.Time) error {
			_, err := s.UpdateLead(ctx, lead.ID, at, func(l *handoff.Lead) (handoff.LeadChange, error) {
				plan, err := handoff.PlanTransition(l.Stage, l.Reached, handoff.StageClaimed) // as bot.Reassign does
				if err != nil {
					return handoff.LeadChange{}, err
				}
				events := l.EnterStages(plan, at, "slack:UBOSS", nil, policy)
				l.Owner = cy
				events = append(events, handoff.Event{Kind: handoff.EventReassign, Stage: l.Stage, At: at, Actor: "slack:UBOSS"})
				return handoff.NewChange(l, events), nil
			})
			return err
		}, repAnn},
		{"claimed by another rep", func(ctx context.Context, s *storage.Store, lead *handoff.Lead, at time.Time) error {
			_, won, err := s.ClaimLead(ctx, lead.ID, cy, at, handoff.Policy{}, "slack:"+cy.UserID)
			if err == nil && !won {
				t.Error("the claim lost")
			}
			return err
		}, repAnn},
		{"claimed by another rep in a transaction", func(ctx context.Context, s *storage.Store, lead *handoff.Lead, at time.Time) error {
			s.ClaimInTransaction()
			_, won, err := s.ClaimLead(ctx, lead.ID, cy, at, handoff.Policy{}, "slack:"+cy.UserID)
			if err == nil && !won {
				t.Error("the claim lost")
			}
			return err
		}, repAnn},
		{"lost by intake", func(ctx context.Context, s *storage.Store, lead *handoff.Lead, at time.Time) error {
			return leave(ctx, s, lead, handoff.StageLost, at)
		}, repAnn},
		{"recycled by a bulk import", func(ctx context.Context, s *storage.Store, lead *handoff.Lead, at time.Time) error {
			_, errs, err := s.SaveLeads(ctx, []handoff.LeadInput{
				{ExternalID: "other", Stage: handoff.StageLead},
				{ExternalID: lead.ExternalID, Stage: handoff.StageRecycled, Reason: "not now"},
			}, policy, at, handoff.ActorImport)
			for _, e := range errs {
				if e != nil {
					return e
				}
			}
			return err
		}, repAnn},
		{"accepted by the offered rep", func(ctx context.Context, s *storage.Store, lead *handoff.Lead, at time.Time) error {
			_, won, err := s.ClaimLeadAtStep(ctx, lead.ID, lead.Offer.Step(), handoff.Owner{Platform: repAnn.Platform, UserID: repAnn.ID}, at, handoff.Policy{}, "slack:"+repAnn.ID)
			if err == nil && !won {
				t.Error("the accept lost")
			}
			return err
		}, repBo},
	} {
		t.Run(tc.name, func(t *testing.T) {
			storagetest.Each(t, func(t *testing.T, s *storage.Store) {
				ctx := context.Background()
				at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
				req := handoff.RouteRequest{Routing: roundRobin()}
				before := balances(t, s)
				lead := saveSQL(t, s, "refund-1", "Acme", at)
				offered, _, stepped, err := s.RouteLead(ctx, lead.ID, req, at)
				if err != nil || !stepped || !offered.Offer.OfferedTo(repAnn) {
					t.Fatalf("first offer: stepped %v, offer %+v, %v; want to %v", stepped, offered.Offer, err, repAnn)
				}
				charged := balances(t, s)
				if maps.Equal(charged, before) {
					t.Fatalf("the offer changed no balance: %v", charged)
				}
				if err := tc.end(ctx, s, offered, at.Add(2*time.Minute)); err != nil {
					t.Fatal(err)
				}
				ended, err := s.Lead(ctx, lead.ID)
				if err != nil {
					t.Fatal(err)
				}
				if ended.Stage == handoff.StageSQL || ended.Offer.Offered() {
					t.Fatalf("the lead did not leave the SQL stage: %s, offer %+v", ended.Stage, ended.Offer)
				}
				want := before
				if tc.next == repBo {
					want = charged // the accept keeps the charge
				}
				if got := balances(t, s); !maps.Equal(got, want) {
					t.Errorf("balances after: %v, want %v (before the offer %v, with it %v)", got, want, before, charged)
				}
				next := saveSQL(t, s, "refund-2", "Globex", at.Add(3*time.Minute))
				routed, _, stepped, err := s.RouteLead(ctx, next.ID, req, at.Add(3*time.Minute))
				if err != nil || !stepped || !routed.Offer.OfferedTo(tc.next) {
					t.Errorf("next lead: stepped %v, offer %+v, %v; want offered to %v", stepped, routed.Offer, err, tc.next)
				}
			})
		})
	}
}

// balances are the reps' fairness balances, without those at zero (a
// refunded rep's row stays, at zero).
func balances(t *testing.T, s *storage.Store) map[string]int64 {
	t.Helper()
	credits, err := s.RepCredits(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	maps.DeleteFunc(credits, func(_ string, v int64) bool { return v == 0 })
	return credits
}

// A batch of claims writes no balance when no claim refunds an offer (the
// offered reps accepting), and the refunds of the claims that do (another
// rep claiming an offered lead) in one statement of the batch.
func TestClaimBatchRefundsOnlyWhenDue(t *testing.T) {
	ctx := context.Background()
	s := storagetest.Open(t, storage.DialectPostgres)
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	req := handoff.RouteRequest{Routing: roundRobin()}
	offer := func(id string, to handoff.RepRef) *handoff.Lead {
		t.Helper()
		lead := saveSQL(t, s, id, id, at)
		routed, _, stepped, err := s.RouteLead(ctx, lead.ID, req, at)
		if err != nil || !stepped || !routed.Offer.OfferedTo(to) {
			t.Fatalf("%s: stepped %v, offer %+v, %v; want offered to %v", id, stepped, routed.Offer, err, to)
		}
		return routed
	}
	owner := func(r handoff.RepRef) handoff.Owner { return handoff.Owner{Platform: r.Platform, UserID: r.ID} }
	creditWrites := func(stmts []string) int {
		n := 0
		for _, q := range stmts {
			if strings.Contains(q, "rep_credits") {
				n++
			}
		}
		return n
	}

	a, b := offer("Alpha", repAnn), offer("Bravo", repBo)
	charged := balances(t, s)
	out, stmts, err := s.ClaimBatchStatements([]storage.BatchClaim{
		{ID: a.ID, Step: a.Offer.Step(), Owner: owner(repAnn)},
		{ID: b.ID, Step: b.Offer.Step(), Owner: owner(repBo)},
	}, at.Add(time.Minute))
	if err != nil || !out[0].Won || !out[1].Won {
		t.Fatalf("accepts: %+v, %v", out, err)
	}
	if n := creditWrites(stmts); n != 0 {
		t.Errorf("accepts wrote balances in %d statements:\n%s", n, strings.Join(stmts, "\n"))
	}
	if got := balances(t, s); !maps.Equal(got, charged) {
		t.Errorf("balances after the accepts %v, want %v", got, charged)
	}

	c := offer("Charlie", repAnn)
	out, stmts, err = s.ClaimBatchStatements([]storage.BatchClaim{
		{ID: c.ID, Step: c.Offer.Step(), Owner: handoff.Owner{Platform: "slack", UserID: "U0CY00003"}},
	}, at.Add(2*time.Minute))
	if err != nil || !out[0].Won {
		t.Fatalf("claim by another rep: %+v, %v", out, err)
	}
	if n := creditWrites(stmts); n != 1 {
		t.Errorf("the claim by another rep wrote balances in %d statements, want 1:\n%s", n, strings.Join(stmts, "\n"))
	}
	if got := balances(t, s); !maps.Equal(got, charged) {
		t.Errorf("balances after the claim by another rep %v, want %v as before the offer", got, charged)
	}
	offer("Delta", repAnn)
}
