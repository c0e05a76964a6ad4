package handoff

import (
	"strings"
	"testing"
	"time"
)

// A lead's routing from intake to a claim: each step's state, offered rep,
// the chat work it queues and the balance changes it saves.
func TestLeadRouteStep(t *testing.T) {
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	ann, bo := slackRep("U0ANN0001", 2), slackRep("U0BO00002", 1)
	r := Routing{Mode: RouteRoundRobin, OfferFor: 10 * time.Minute, OfferRounds: 2, Reps: []Rep{ann, bo}}
	policy := DefaultPolicy()
	policy.Routing = r
	l := &Lead{ID: 7, Stage: StageLead, Reached: -1}
	plan, err := PlanTransition(l.Stage, l.Reached, StageSQL)
	if err != nil {
		t.Fatal(err)
	}
	events := l.EnterStages(plan, at, ActorAPI, nil, policy)
	if got := NewChange(l, events).Outbox; len(got) != 1 || got[0].Kind != OutboxRouteLead {
		t.Fatalf("a new SQL under round robin queues %+v, want one %s", got, OutboxRouteLead)
	}
	kinds := func(c LeadChange) string {
		var out []string
		for _, m := range c.Outbox {
			out = append(out, m.Kind+strings.TrimPrefix(m.Payload, `{"rep":{"Platform":"slack","ID":"`))
		}
		return strings.Join(out, " ")
	}
	steps := []struct {
		name    string
		now     time.Time
		ending  SkipReason
		state   OfferState
		offered RepRef
		credits map[string]int64
		queued  string
	}{
		{"first: the heavier rep", at, "", OfferOffered, ann.Ref, map[string]int64{ann.Ref.Key(): -1, bo.Ref.Key(): 1},
			`lead.announce lead.offerU0ANN0001"}}`},
		{"pass: the next rep, the pass refunded", at.Add(time.Minute), SkipPassed, OfferOffered, bo.Ref, map[string]int64{ann.Ref.Key(): 1, bo.Ref.Key(): -1},
			`lead.refresh lead.offerU0ANN0001"}} lead.offerU0BO00002"}}`},
		{"timeout: rounds used up, open", at.Add(11 * time.Minute), "", OfferOpen, RepRef{}, map[string]int64{},
			`lead.refresh lead.offerU0BO00002"}}`},
	}
	for _, st := range steps {
		d, change, credits, ok := l.RouteStep(r, RouteInput{Now: st.now}, st.ending, "")
		if !ok {
			t.Fatalf("%s: no step", st.name)
		}
		if l.Offer.State != st.state || l.Offer.Rep != st.offered || d.Offered != st.offered {
			t.Errorf("%s: offer %+v, decision %v; want %s to %v", st.name, l.Offer, d.Offered, st.state, st.offered)
		}
		for k, v := range st.credits {
			if credits[k] != v {
				t.Errorf("%s: credit change of %s = %d, want %d", st.name, k, credits[k], v)
			}
		}
		if got := kinds(change); got != st.queued {
			t.Errorf("%s: queued %s\nwant %s", st.name, got, st.queued)
		}
		if len(change.Events) != 1 || change.Events[0].Kind != EventRouted || change.Events[0].Details["decision"] == "" {
			t.Errorf("%s: events %+v", st.name, change.Events)
		}
	}
	if _, _, _, ok := l.RouteStep(r, RouteInput{Now: at.Add(time.Hour)}, "", ""); ok {
		t.Error("an open lead took another routing step")
	}
	change, won := l.Claim(Owner{Platform: "slack", UserID: "U0CY00003"}, at.Add(time.Hour), Policy{}, "slack:U0CY00003")
	if !won || l.Offer.State != OfferClaimed || len(change.Outbox) != 1 {
		t.Errorf("claim of the open lead: won %v, offer %+v, outbox %+v", won, l.Offer, change.Outbox)
	}

	// Claim routing leaves no offer state and announces as before.
	c := &Lead{ID: 8, Stage: StageLead, Reached: -1}
	events = c.EnterStages(plan, at, ActorAPI, nil, DefaultPolicy())
	if got := NewChange(c, events).Outbox; c.Offer != nil || len(got) != 1 || got[0].Kind != OutboxAnnounceLead {
		t.Errorf("claim routing: offer %+v, outbox %+v", c.Offer, got)
	}
}

func TestAccountOf(t *testing.T) {
	tests := []struct {
		company, email, wantCompany, wantDomain string
	}{
		{" Acme A/S ", "Kim@Acme.DK", "acme a/s", "acme.dk"},
		{"", "kim@gmail.com", "", ""},
		{"Solo", "not an email", "solo", ""},
		{"", "x@we%ird.dk", "", ""},
	}
	for _, tt := range tests {
		c, d := AccountOf(&Lead{Company: tt.company, Email: tt.email})
		if c != tt.wantCompany || d != tt.wantDomain {
			t.Errorf("AccountOf(%q, %q) = %q, %q; want %q, %q", tt.company, tt.email, c, d, tt.wantCompany, tt.wantDomain)
		}
	}
}
