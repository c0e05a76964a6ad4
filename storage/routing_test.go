package storage_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

var (
	repAnn = handoff.RepRef{Platform: "slack", ID: "U0ANN0001"}
	repBo  = handoff.RepRef{Platform: "slack", ID: "U0BO00002"}
)

func roundRobin() handoff.Routing {
	return handoff.Routing{Mode: handoff.RouteRoundRobin, OfferFor: 15 * time.Minute, OfferRounds: 2, AccountOwnerFirst: true,
		Reps: []handoff.Rep{{Ref: repAnn, Weight: 1}, {Ref: repBo, Weight: 1}}}
}

// saveSQL stores a new SQL under round-robin routing and returns it.
func saveSQL(t *testing.T, s *storage.Store, id, company string, at time.Time) *handoff.Lead {
	t.Helper()
	policy := handoff.DefaultPolicy()
	policy.Routing = roundRobin()
	in := handoff.LeadInput{ExternalID: id, Company: company, Email: "buyer@" + strings.ToLower(company) + ".example", Stage: handoff.StageSQL}
	res, err := s.SaveLead(context.Background(), in, policy, at, handoff.ActorAPI)
	if err != nil {
		t.Fatal(err)
	}
	return res.Lead
}

func outboxKinds(t *testing.T, s *storage.Store, leadID int64) []string {
	t.Helper()
	msgs, err := s.OutboxMessages(context.Background(), leadID)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, m := range msgs {
		k := m.Kind
		if m.Kind == handoff.OutboxOffer {
			var n handoff.OfferNotice
			if err := json.Unmarshal([]byte(m.Payload), &n); err != nil {
				t.Fatal(err)
			}
			k += ":" + n.Rep.ID
		}
		kinds = append(kinds, k)
	}
	return kinds
}

// A new SQL under round robin is routed, not announced; the routing steps
// offer it to one rep, then (after a pass) to the next, then open it to
// the channel when the offer rounds are used up, each step an event with
// its decision, the channel card and the reps' messages queued with it,
// and passes and timeouts refunded from the balances.
func TestRouteLeadOfferPassTimeoutOpen(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
		lead := saveSQL(t, s, "rr-1", "Acme", at)
		if lead.Offer == nil || lead.Offer.State != handoff.OfferPending {
			t.Fatalf("offer after intake = %+v, want pending", lead.Offer)
		}
		if got := outboxKinds(t, s, lead.ID); strings.Join(got, ",") != handoff.OutboxRouteLead {
			t.Fatalf("outbox after intake = %v, want only %s", got, handoff.OutboxRouteLead)
		}
		req := handoff.RouteRequest{Routing: roundRobin()}

		steps := []struct {
			name     string
			at       time.Time
			pass     handoff.RepRef
			reason   string
			stepped  bool
			state    handoff.OfferState
			offered  handoff.RepRef
			credits  map[string]int64
			newKinds []string
		}{
			{"first offer", at, handoff.RepRef{}, "", true, handoff.OfferOffered, repAnn,
				map[string]int64{repAnn.Key(): -1, repBo.Key(): 1},
				[]string{handoff.OutboxAnnounceLead, "lead.offer:" + repAnn.ID}},
			{"not due yet", at.Add(14 * time.Minute), handoff.RepRef{}, "", false, handoff.OfferOffered, repAnn, nil, nil},
			{"a pass by someone else", at.Add(time.Minute), repBo, "", false, handoff.OfferOffered, repAnn, nil, nil},
			{"pass", at.Add(2 * time.Minute), repAnn, "on a call", true, handoff.OfferOffered, repBo,
				map[string]int64{repAnn.Key(): 0, repBo.Key(): 0},
				[]string{handoff.OutboxRefreshLead, "lead.offer:" + repAnn.ID, "lead.offer:" + repBo.ID}},
			{"timeout opens to the channel", at.Add(17 * time.Minute), handoff.RepRef{}, "", true, handoff.OfferOpen, handoff.RepRef{},
				map[string]int64{repAnn.Key(): 0, repBo.Key(): 0},
				[]string{handoff.OutboxRefreshLead, "lead.offer:" + repBo.ID}},
			{"nothing more to do", at.Add(time.Hour), handoff.RepRef{}, "", false, handoff.OfferOpen, handoff.RepRef{}, nil, nil},
		}
		seen := len(outboxKinds(t, s, lead.ID))
		for _, st := range steps {
			req.Pass, req.Reason = st.pass, st.reason
			got, d, stepped, err := s.RouteLead(ctx, lead.ID, req, st.at)
			if err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			if stepped != st.stepped || got.Offer.State != st.state || got.Offer.Rep != st.offered {
				t.Fatalf("%s: stepped %v, offer %+v; want %v, %s to %v", st.name, stepped, got.Offer, st.stepped, st.state, st.offered)
			}
			if stepped && d.Offered != st.offered {
				t.Errorf("%s: decision offered %v", st.name, d.Offered)
			}
			if st.credits != nil {
				credits, err := s.RepCredits(ctx)
				if err != nil {
					t.Fatal(err)
				}
				for k, want := range st.credits {
					if credits[k] != want {
						t.Errorf("%s: credit of %s = %d, want %d", st.name, k, credits[k], want)
					}
				}
			}
			kinds := outboxKinds(t, s, lead.ID)
			if got := strings.Join(kinds[seen:], ","); got != strings.Join(st.newKinds, ",") {
				t.Errorf("%s: queued %s, want %s", st.name, got, strings.Join(st.newKinds, ","))
			}
			seen = len(kinds)
		}
		final, err := s.Lead(ctx, lead.ID)
		if err != nil {
			t.Fatal(err)
		}
		if tried := final.Offer.Tried; len(tried) != 2 || tried[0] != (handoff.TriedOffer{Rep: repAnn, Ending: handoff.SkipPassed, Reason: "on a call"}) ||
			tried[1] != (handoff.TriedOffer{Rep: repBo, Ending: handoff.SkipTimedOut}) {
			t.Errorf("tried = %+v", tried)
		}
		events, err := s.Events(ctx, lead.ID)
		if err != nil {
			t.Fatal(err)
		}
		var routed []handoff.Event
		for _, e := range events {
			if e.Kind == handoff.EventRouted {
				routed = append(routed, e)
			}
		}
		if len(routed) != 3 {
			t.Fatalf("routed events = %d, want 3", len(routed))
		}
		var d handoff.RouteDecision
		if err := json.Unmarshal([]byte(routed[1].Details["decision"]), &d); err != nil {
			t.Fatal(err)
		}
		if d.Offered != repBo || routed[1].Details["ending"] != "passed" || routed[1].Details["reason"] != "on a call" {
			t.Errorf("second routed event = %+v", routed[1].Details)
		}
		if !strings.Contains(d.Explain(func(r handoff.RepRef) string { return r.ID }, time.UTC), repAnn.ID+" passed") {
			t.Errorf("explained: %s", d.Explain(func(r handoff.RepRef) string { return r.ID }, time.UTC))
		}
		// Open to the channel: anyone may claim, as under claim routing.
		claimed, won, err := s.ClaimLead(ctx, lead.ID, handoff.Owner{Platform: "slack", UserID: "U0CY00003"}, at.Add(20*time.Minute), handoff.Policy{}, "slack:U0CY00003")
		if err != nil || !won || claimed.Offer.State != handoff.OfferClaimed {
			t.Fatalf("claim after opening: won %v, offer %+v, err %v", won, claimed.Offer, err)
		}
	})
}

// Accepting is the claim: the offered rep wins it, the offer closes and is
// due no more, and the rep's offer message is updated.
func TestRouteLeadAccept(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
		lead := saveSQL(t, s, "rr-accept", "Acme", at)
		if _, _, _, err := s.RouteLead(ctx, lead.ID, handoff.RouteRequest{Routing: roundRobin()}, at); err != nil {
			t.Fatal(err)
		}
		before := len(outboxKinds(t, s, lead.ID))
		got, won, err := s.ClaimLead(ctx, lead.ID, handoff.Owner{Platform: "slack", UserID: repAnn.ID}, at.Add(time.Minute), handoff.Policy{}, repAnn.Key())
		if err != nil || !won {
			t.Fatalf("accept: won %v, err %v", won, err)
		}
		if got.Offer.State != handoff.OfferClaimed || !got.Offer.Until.IsZero() || got.ClaimedAt == nil {
			t.Errorf("after accept: %+v", got.Offer)
		}
		if kinds := outboxKinds(t, s, lead.ID)[before:]; strings.Join(kinds, ",") != handoff.OutboxRefreshLead+",lead.offer:"+repAnn.ID {
			t.Errorf("accept queued %v", kinds)
		}
		if _, ok, err := s.NextRouteDue(ctx); ok || err != nil {
			t.Errorf("a routing step is still due after the accept (%v)", err)
		}
	})
}

// A claim at the routing step read before the offer timed out and went
// to the next rep changes nothing, and the next rep's offer stays; a claim
// at the current step wins.
func TestClaimLeadAtStepAfterOfferMovedOn(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
		lead := saveSQL(t, s, "rr-moved", "Acme", at)
		req := handoff.RouteRequest{Routing: roundRobin()}
		first, d, _, err := s.RouteLead(ctx, lead.ID, req, at)
		if err != nil {
			t.Fatal(err)
		}
		clicker := handoff.Owner{Platform: "slack", UserID: d.Offered.ID}
		step := first.Offer.Step() // the click's check reads the offer
		moved, d2, stepped, err := s.RouteLead(ctx, lead.ID, req, first.Offer.Until)
		if err != nil || !stepped || d2.Offered == d.Offered {
			t.Fatalf("timeout: stepped %v, offered %v, err %v", stepped, d2.Offered, err)
		}
		before := len(outboxKinds(t, s, lead.ID))
		got, won, err := s.ClaimLeadAtStep(ctx, lead.ID, step, clicker, at.Add(time.Minute), handoff.Policy{}, d.Offered.Key())
		if err != nil || won {
			t.Fatalf("late claim: won %v, err %v; want a loss", won, err)
		}
		if !got.Owner.IsZero() || !got.Offer.OfferedTo(d2.Offered) || !got.Offer.Until.Equal(moved.Offer.Until) || got.Offer.Step() != moved.Offer.Step() {
			t.Errorf("after the late claim: owner %+v, offer %+v; want the offer to %v until %v", got.Owner, got.Offer, d2.Offered, moved.Offer.Until)
		}
		if kinds := outboxKinds(t, s, lead.ID)[before:]; len(kinds) != 0 {
			t.Errorf("the late claim queued %v", kinds)
		}
		next := handoff.Owner{Platform: "slack", UserID: d2.Offered.ID}
		if _, won, err := s.ClaimLeadAtStep(ctx, lead.ID, moved.Offer.Step(), next, at.Add(2*time.Minute), handoff.Policy{}, d2.Offered.Key()); err != nil || !won {
			t.Errorf("claim at the current step: won %v, err %v", won, err)
		}
	})
}

// A lead of an account a rep already owns goes to that rep first, and
// nobody available makes it wait until the first rep's hours open.
func TestRouteLeadAccountOwnerAndWaiting(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC) // a Monday
		first := saveSQL(t, s, "acct-1", "Acme", at)
		if _, won, err := s.ClaimLead(ctx, first.ID, handoff.Owner{Platform: "slack", UserID: repBo.ID}, at, handoff.Policy{}, repBo.Key()); err != nil || !won {
			t.Fatal(won, err)
		}
		second := saveSQL(t, s, "acct-2", "ACME", at.Add(time.Minute))
		_, d, _, err := s.RouteLead(ctx, second.ID, handoff.RouteRequest{Routing: roundRobin()}, at.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if d.Offered != repBo || !d.SameAccount {
			t.Errorf("offered %v same account %v, want %v and true", d.Offered, d.SameAccount, repBo)
		}

		r := roundRobin()
		hours := &handoff.BusinessHours{Start: 9 * time.Hour, End: 17 * time.Hour}
		hours.Days[time.Tuesday] = true
		r.Reps = []handoff.Rep{{Ref: repAnn, Weight: 1, Hours: hours}}
		third := saveSQL(t, s, "wait-1", "Solo", at.Add(2*time.Minute))
		got, d, stepped, err := s.RouteLead(ctx, third.ID, handoff.RouteRequest{Routing: r}, at.Add(2*time.Minute))
		if err != nil || !stepped || !d.Waiting {
			t.Fatalf("stepped %v waiting %v err %v", stepped, d.Waiting, err)
		}
		tuesday := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
		if got.Offer.State != handoff.OfferWaiting || !got.Offer.Until.Equal(at.Add(7*time.Minute)) {
			t.Errorf("waiting offer = %+v, want a look again within the recheck bound", got.Offer)
		}
		if n, err := s.WakeWaiting(ctx, at.Add(3*time.Minute)); err != nil || n != 1 {
			t.Errorf("WakeWaiting = %d, %v", n, err)
		}
		if _, d, _, err = s.RouteLead(ctx, third.ID, handoff.RouteRequest{Routing: r}, tuesday); err != nil || d.Offered != repAnn {
			t.Errorf("on Tuesday: offered %v, err %v", d.Offered, err)
		}
	})
}

// replicas opens n migrated stores on one new PostgreSQL database, as n
// replicas of the server would, closed when the test ends.
func replicas(t *testing.T, n int) []*storage.Store {
	t.Helper()
	url := storagetest.URL(t, storage.DialectPostgres)
	var stores []*storage.Store
	for range n {
		stores = append(stores, storagetest.OpenURL(t, url, storage.Options{}))
	}
	return stores
}

// Two replicas on one PostgreSQL database racing to route the same lead:
// exactly one routing step is taken and the lead is offered to one rep.
func TestRouteLeadRaceAcrossReplicas(t *testing.T) {
	ctx := context.Background()
	stores := replicas(t, 2)
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	for round := range 5 {
		lead := saveSQL(t, stores[0], "race-"+string(rune('a'+round)), "Race", at)
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			stepped int
			offered = map[string]bool{}
		)
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, d, ok, err := stores[i%2].RouteLead(ctx, lead.ID, handoff.RouteRequest{Routing: roundRobin()}, at)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				if ok {
					stepped++
					offered[d.Offered.Key()] = true
				}
			}()
		}
		wg.Wait()
		if stepped != 1 || len(offered) != 1 {
			t.Fatalf("round %d: %d steps taken, offered to %v; want exactly one", round, stepped, offered)
		}
		msgs, err := stores[1].OutboxMessages(ctx, lead.ID)
		if err != nil {
			t.Fatal(err)
		}
		offers := 0
		for _, m := range msgs {
			if m.Kind == handoff.OutboxOffer {
				offers++
			}
		}
		if offers != 1 {
			t.Errorf("round %d: %d offer messages queued, want 1", round, offers)
		}
	}
	credits, err := stores[0].RepCredits(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if sum := credits[repAnn.Key()] + credits[repBo.Key()]; sum != 0 {
		t.Errorf("balances %v do not sum to zero", credits)
	}
}
