package outbox_test

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

// End to end against the stand-in Slack: erasing a lead offered to Ann
// updates her offer DM to the erased view, without Accept or Pass (the
// erasure updates every message that showed the lead); an Accept from an
// older copy is refused privately; and when the offer's time is up the
// scheduler offers the lead to nobody: Bo gets no DM.
func TestRoutingErasedOfferGoesToNobody(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRoutingRig(t, s)
		res, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: "rr-erased", Company: "Acme", Name: "Kim", Stage: handoff.StageSQL}, r.policy, t0, handoff.ActorAPI)
		if err != nil {
			t.Fatal(err)
		}
		id := res.Lead.ID
		drain(t, r.disp)
		r.expect(t, "offer", "DUANN00001", 1, "Offered to you", bot.ActionAccept, bot.ActionPass)

		r.clock.Advance(time.Minute)
		if err := s.ForgetLead(ctx, "rr-erased", r.policy, r.clock.Now()); err != nil {
			t.Fatal(err)
		}
		drain(t, r.disp)
		dm, _ := lastTo(r.slack.Calls(""), "DUANN00001")
		if strings.Contains(dm, bot.ActionAccept) || strings.Contains(dm, bot.ActionPass) || !strings.Contains(dm, "erased") {
			t.Errorf("Ann's offer DM after the erasure:\n%s\nwant the erased view without Accept or Pass", dm)
		}

		if _, err := r.bot.Act(ctx, bot.Actor{Platform: "slack", UserID: "UANN00001", Channel: "DUANN00001"}, bot.ActionAccept, fmt.Sprint(id)); err != nil {
			t.Fatal(err)
		}
		drain(t, r.disp)
		want := fmt.Sprintf("Lead %d (personal data erased) cannot be claimed", id)
		if got := strings.Join(privateTexts(r.slack.Calls("chat.postEphemeral"), "UANN00001"), "\n"); !strings.Contains(got, want) {
			t.Errorf("Ann's accept: notices %q, want %q", got, want)
		}

		r.clock.Advance(20 * time.Minute)
		if _, err := r.sched.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		drain(t, r.disp)
		if _, posted := lastTo(r.slack.Calls(""), "DUBO000002"); posted != 0 {
			t.Errorf("Bo was offered the erased lead (%d DMs)", posted)
		}
		lead, err := s.Lead(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if lead.Stage != handoff.StageSQL || !lead.Owner.IsZero() || lead.Offer.Offered() {
			t.Errorf("after the time was up: %s owned by %+v, offer %+v", lead.Stage, lead.Owner, lead.Offer)
		}
	})
}
