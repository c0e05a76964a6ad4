package outbox_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/outbox"
	"github.com/handoff/handoff/bot/teams"
	"github.com/handoff/handoff/bot/teams/teamstest"
	"github.com/handoff/handoff/internal/testkit"
	"github.com/handoff/handoff/scheduler"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// The reps of the Teams routing test, named by Entra object id in the
// agreement; they click as their Bot Framework users.
var (
	teamsAnn = handoff.TeamsUser{ID: "29:ann", AADObjectID: "0f3a6e1c-8d2b-4c55-9a11-2b3c4d5e6f70", Name: "Ann Rep", TenantID: "t1"}
	teamsBo  = handoff.TeamsUser{ID: "29:bo", AADObjectID: "1f3a6e1c-8d2b-4c55-9a11-2b3c4d5e6f71", Name: "Bo Rep", TenantID: "t1"}
)

// sawSince reports whether the Bot Framework calls after the first since
// contain each of want, and how many calls there are now.
func sawSince(t *testing.T, bf *teamstest.Server, since int, step string, want ...string) int {
	t.Helper()
	calls := bf.Calls()
	var b strings.Builder
	for _, c := range calls[since:] {
		raw, _ := json.Marshal(c.Body)
		b.WriteString(c.Op + " " + c.ConversationID + " " + string(raw) + "\n")
	}
	for _, w := range want {
		if !strings.Contains(b.String(), w) {
			t.Errorf("%s: no Teams call carried %q:\n%s", step, w, b.String())
		}
	}
	return len(calls)
}

// End to end against the stand-in Teams: the offer DM with Accept and
// Pass, the pass form's reason, the next rep, the timeout that opens the
// lead to the channel, and the claim; the card and DMs updated each step.
func TestRoutingTeamsOfferPassTimeoutOpenClaim(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		bf := teamstest.New(t)
		clk := testkit.NewClock(t0)
		if err := s.SaveTeamsConversation(ctx, handoff.TeamsConversation{ConversationID: "19:sales@thread.tacv2", ServiceURL: bf.ServiceURL(), TenantID: "t1"}, t0); err != nil {
			t.Fatal(err)
		}
		for _, u := range []handoff.TeamsUser{teamsAnn, teamsBo} {
			u.ServiceURL = bf.ServiceURL()
			if err := s.SaveTeamsUser(ctx, u, t0); err != nil {
				t.Fatal(err)
			}
		}
		p := teams.NewPlatform(teams.NewConnector(teamstest.AppID, teamstest.AppSecret, bf.TokenURL(), nil, teamstest.ClientTimeout), s, "t1")
		policy := handoff.DefaultPolicy()
		policy.Routing = handoff.Routing{Mode: handoff.RouteRoundRobin, OfferFor: 10 * time.Minute, OfferRounds: 2, Reps: []handoff.Rep{
			{Ref: handoff.RepRef{Platform: "teams", ID: teamsAnn.AADObjectID}, Weight: 1},
			{Ref: handoff.RepRef{Platform: "teams", ID: teamsBo.AADObjectID}, Weight: 1},
		}}
		b := bot.New(bot.Config{Store: s, Policy: policy, Now: clk.Now, Logger: quiet(),
			SalesMembers: map[string]bot.SalesMembers{"teams": allSales{}}, Users: map[string]bot.UserIDs{"teams": p}})
		disp := outbox.New(outbox.Config{Store: s, Targets: []bot.Target{{Platform: p, SalesChannel: "19:sales@thread.tacv2"}}, Policy: policy,
			Now: clk.Now, Logger: quiet(), Worker: "w1", Lease: time.Minute, Route: b.Route})
		sched, err := scheduler.New(scheduler.Config{Store: s, Policy: policy, Now: clk.Now, Logger: quiet(), Routes: s, Route: b.Route})
		if err != nil {
			t.Fatal(err)
		}
		res, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: "rr-teams", Company: "Berg ApS", Name: "Kim", Stage: handoff.StageSQL}, policy, t0, handoff.ActorAPI)
		if err != nil {
			t.Fatal(err)
		}
		id := fmt.Sprint(res.Lead.ID)
		who := func(u handoff.TeamsUser) bot.Actor { return bot.Actor{Platform: "teams", UserID: u.ID} }
		drain(t, disp)
		seen := sawSince(t, bf, 0, "offer", "Offered to", "Offered to you", bot.ActionAccept, bot.ActionPass)

		if _, err := b.Act(ctx, bot.Actor{Platform: "teams", UserID: "29:cy", Channel: "19:sales@thread.tacv2"}, bot.ActionClaim, id); err != nil {
			t.Fatal(err)
		}
		drain(t, disp)
		seen = sawSince(t, bf, seen, "refusal", "is offered to")

		form, err := b.Act(ctx, who(teamsAnn), bot.ActionPass, id)
		if err != nil || form.Form == nil {
			t.Fatalf("pass: form %v, err %v", form.Form, err)
		}
		if err := b.Submit(ctx, who(teamsAnn), form.Form.ID, form.Form.State, map[string]string{"reason": "too busy"}); err != nil {
			t.Fatal(err)
		}
		drain(t, disp)
		seen = sawSince(t, bf, seen, "pass", "You passed", "Offered to you")

		clk.Advance(11 * time.Minute)
		if _, err := sched.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		drain(t, disp)
		seen = sawSince(t, bf, seen, "timeout", "ran out")
		if lead, _ := s.Lead(ctx, res.Lead.ID); lead.Offer.State != handoff.OfferOpen {
			t.Fatalf("after the timeout: %+v", lead.Offer)
		}

		if _, err := b.Act(ctx, bot.Actor{Platform: "teams", UserID: "29:cy", Channel: "19:sales@thread.tacv2"}, bot.ActionClaim, id); err != nil {
			t.Fatal(err)
		}
		drain(t, disp)
		sawSince(t, bf, seen, "claim", "Claimed by")
		if lead, _ := s.Lead(ctx, res.Lead.ID); lead.Owner.UserID != "29:cy" {
			t.Errorf("owner = %+v", lead.Owner)
		}
	})
}
