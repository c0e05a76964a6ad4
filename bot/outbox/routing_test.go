package outbox_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/outbox"
	slackbot "github.com/handoff/handoff/bot/slack"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/scheduler"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// routingRig is the outbox rig under round-robin routing: the bot, the
// dispatcher and the scheduler share the agreement and the clock.
type routingRig struct {
	*rig
	bot    *bot.Bot
	sched  *scheduler.Scheduler
	policy handoff.Policy
}

func newRoutingRig(t *testing.T, s *storage.Store) *routingRig {
	t.Helper()
	r := newRig(t, s)
	policy := handoff.DefaultPolicy()
	policy.Routing = handoff.Routing{Mode: handoff.RouteRoundRobin, OfferFor: 10 * time.Minute, OfferRounds: 2, Reps: []handoff.Rep{
		{Ref: handoff.RepRef{Platform: "slack", ID: "UANN00001"}, Weight: 1},
		{Ref: handoff.RepRef{Platform: "slack", ID: "UBO000002"}, Weight: 1},
	}}
	b := bot.New(bot.Config{Store: s, Policy: policy, Now: r.clock.Now, Logger: quiet(),
		Managers: map[string]bot.Managers{"slack": managerList{"UBOSS": true}}, SalesMembers: map[string]bot.SalesMembers{"slack": allSales{}}})
	p := slackbot.NewPlatform(slackbot.NewClient(botToken, "", r.slack.APIURL(), slacktest.ClientTimeout))
	r.disp = outbox.New(outbox.Config{Store: s, Targets: []bot.Target{{Platform: p, SalesChannel: "CSALES"}}, Policy: policy,
		Now: r.clock.Now, Logger: quiet(), Worker: "w1", Lease: time.Minute, Route: b.Route})
	sched, err := scheduler.New(scheduler.Config{Store: s, Policy: policy, Now: r.clock.Now, Logger: quiet(), Routes: s, Route: b.Route})
	if err != nil {
		t.Fatal(err)
	}
	return &routingRig{rig: r, bot: b, sched: sched, policy: policy}
}

type managerList map[string]bool

// allSales puts everyone in the sales channel.
type allSales struct{}

func (allSales) IsSalesMember(ctx context.Context, userID string) (bool, error) { return true, nil }

func (m managerList) IsManager(ctx context.Context, userID string) (bool, error) {
	return m[userID], nil
}

// lastTo returns the blocks of the last message posted or updated in
// channel, and how many were posted there.
func lastTo(calls []slacktest.Call, channel string) (blocks string, posted int) {
	for _, c := range calls {
		if c.Param("channel") != channel {
			continue
		}
		switch c.Method {
		case "chat.postMessage":
			posted++
			blocks = c.Param("blocks")
		case "chat.update":
			blocks = c.Param("blocks")
		}
	}
	return blocks, posted
}

func (r *routingRig) expect(t *testing.T, step, channel string, posted int, want ...string) {
	t.Helper()
	blocks, n := lastTo(r.slack.Calls(""), channel)
	if n != posted {
		t.Errorf("%s: %d messages posted to %s, want %d", step, n, channel, posted)
	}
	for _, w := range want {
		if !strings.Contains(blocks, w) {
			t.Errorf("%s: last message in %s lacks %q:\n%s", step, channel, w, blocks)
		}
	}
}

// End to end against the stand-in Slack: a new SQL is offered to one rep
// (a DM with Accept and Pass, the channel card saying so), others are
// refused politely, a pass offers it to the next rep, the next rep's
// offer runs out on the scheduler's clock and the lead opens to the
// channel, where anyone may claim it; each step updates the card and DMs.
func TestRoutingOfferPassTimeoutOpenClaim(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRoutingRig(t, s)
		res, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: "rr-e2e", Company: "Acme", Name: "Kim", Stage: handoff.StageSQL}, r.policy, t0, handoff.ActorAPI)
		if err != nil {
			t.Fatal(err)
		}
		id := fmt.Sprint(res.Lead.ID)
		drain(t, r.disp)
		r.expect(t, "offer", "CSALES", 1, "Offered to \\u003c@UANN00001\\u003e until", bot.ActionClaim)
		r.expect(t, "offer", "DUANN00001", 1, "Offered to you", bot.ActionAccept, bot.ActionPass)

		if _, err := r.bot.Act(ctx, actor("UCY000003"), bot.ActionClaim, id); err != nil {
			t.Fatal(err)
		}
		drain(t, r.disp)
		if got := strings.Join(privateTexts(r.slack.Calls("chat.postEphemeral"), "UCY000003"), "\n"); !strings.Contains(got, "is offered to") {
			t.Errorf("another rep's claim: notices %q, want the polite refusal", got)
		}

		res2, err := r.bot.Act(ctx, bot.Actor{Platform: "slack", UserID: "UANN00001"}, bot.ActionPass, id)
		if err != nil || res2.Form == nil {
			t.Fatalf("pass click: form %v, err %v", res2.Form, err)
		}
		if err := r.bot.Submit(ctx, bot.Actor{Platform: "slack", UserID: "UANN00001"}, res2.Form.ID, res2.Form.State, map[string]string{"reason": "on holiday tomorrow"}); err != nil {
			t.Fatal(err)
		}
		drain(t, r.disp)
		r.expect(t, "pass", "CSALES", 1, "Offered to \\u003c@UBO000002\\u003e")
		r.expect(t, "pass", "DUANN00001", 1, "You passed")
		r.expect(t, "pass", "DUBO000002", 1, "Offered to you", bot.ActionAccept)

		r.clock.Advance(5 * time.Minute)
		if _, err := r.sched.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		drain(t, r.disp)
		r.expect(t, "before the timeout", "DUBO000002", 1, bot.ActionAccept)

		r.clock.Advance(6 * time.Minute)
		next, err := r.sched.Tick(ctx)
		if err != nil {
			t.Fatal(err)
		}
		drain(t, r.disp)
		r.expect(t, "timeout", "DUBO000002", 1, "ran out")
		card, _ := lastTo(r.slack.Calls(""), "CSALES")
		if strings.Contains(card, "Offered to") || !strings.Contains(card, bot.ActionClaim) {
			t.Errorf("timeout: the card is not open to the channel:\n%s", card)
		}
		if lead, _ := s.Lead(ctx, res.Lead.ID); lead.Offer.State != handoff.OfferOpen || !next.After(r.clock.Now()) {
			t.Errorf("after the timeout: offer %+v, scheduler next %v", lead.Offer, next)
		}

		if _, err := r.bot.Act(ctx, actor("UCY000003"), bot.ActionClaim, id); err != nil {
			t.Fatal(err)
		}
		drain(t, r.disp)
		if lead, _ := s.Lead(ctx, res.Lead.ID); lead.Owner.UserID != "UCY000003" {
			t.Errorf("claim once open: owner %+v", lead.Owner)
		}
		r.expect(t, "claim", "CSALES", 1, "Claimed by")
	})
}

// Accept is the claim: the offered rep owns the lead, the card says so and
// the offer DM turns into "Accepted" without buttons.
func TestRoutingOfferAccept(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRoutingRig(t, s)
		res, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: "rr-accept", Company: "Acme", Name: "Kim", Stage: handoff.StageSQL}, r.policy, t0, handoff.ActorAPI)
		if err != nil {
			t.Fatal(err)
		}
		drain(t, r.disp)
		r.clock.Advance(3 * time.Minute)
		if _, err := r.bot.Act(ctx, bot.Actor{Platform: "slack", UserID: "UANN00001"}, bot.ActionAccept, fmt.Sprint(res.Lead.ID)); err != nil {
			t.Fatal(err)
		}
		drain(t, r.disp)
		lead, err := s.Lead(ctx, res.Lead.ID)
		if err != nil {
			t.Fatal(err)
		}
		if lead.Owner.UserID != "UANN00001" || lead.Offer.State != handoff.OfferClaimed || !lead.ClaimedAt.Equal(t0.Add(3*time.Minute)) {
			t.Errorf("after accept: owner %+v offer %+v claimed %v", lead.Owner, lead.Offer, lead.ClaimedAt)
		}
		r.expect(t, "accept", "CSALES", 1, "Claimed by")
		dm, posted := lastTo(r.slack.Calls(""), "DUANN00001")
		if posted != 2 || strings.Contains(dm, bot.ActionAccept) { // the offer, then the owner's details
			t.Errorf("accept: %d DMs, last:\n%s", posted, dm)
		}
		updated := false
		for _, c := range r.slack.Calls("chat.update") {
			if c.Param("channel") == "DUANN00001" && strings.Contains(c.Param("blocks"), "Accepted") {
				updated = true
			}
		}
		if !updated {
			t.Error("the offer DM was not updated to Accepted")
		}
	})
}

// privateTexts returns the texts shown privately to user.
func privateTexts(calls []slacktest.Call, user string) []string {
	var out []string
	for _, c := range calls {
		if c.Param("user") == user {
			out = append(out, c.Param("text"))
		}
	}
	return out
}
