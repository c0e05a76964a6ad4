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
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// Under round-robin routing, a lead that went back to the sales channel
// when its rep was deactivated, then left sales and came back as an SQL,
// is routed again: its routing step announces it anew (a new card), and
// the announcement renders the managers' note again (OutboxNotesOfLead),
// which then shows it open again rather than gone to marketing; the
// offered rep's Accept, a claim, renders the note once more, naming them.
func TestDeactivatedNoteFollowsALeadRoutedAgain(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRoutingRig(t, s)
		cfg := r.managersConfig("w")
		cfg.Policy, cfg.Route = r.policy, r.bot.Route
		disp := outbox.New(cfg)
		b := bot.New(bot.Config{Store: s, Reps: s, Policy: r.policy, Now: r.clock.Now, Logger: quiet(),
			Managers: map[string]bot.Managers{"slack": managerList{"UBOSS": true}}, SalesMembers: map[string]bot.SalesMembers{"slack": allSales{}}})
		res, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: "back-1", Name: "Kim", Company: "Company back-1", Stage: handoff.StageSQL}, r.policy, r.clock.Now(), handoff.ActorAPI)
		if err != nil {
			t.Fatal(err)
		}
		id := res.Lead.ID
		drain(t, disp)
		if _, won, err := s.ClaimLead(ctx, id, handoff.Owner{Platform: "slack", UserID: "UREP1"}, r.clock.Now(), r.policy, "slack:UREP1"); err != nil || !won {
			t.Fatalf("claim by the rep: won %v, %v", won, err)
		}
		drain(t, disp)
		r.clock.Advance(time.Second)
		if err := b.RepChanged(ctx, bot.RepChange{Platform: "slack", UserID: "UREP1", Deleted: true}); err != nil {
			t.Fatal(err)
		}
		drain(t, disp)

		var offered handoff.RepRef // whom the lead is offered to once it came back
		steps := []struct {
			name      string
			act       func() error
			updates   int // the note's updates so far
			shows     []string
			showsNone []string
		}{
			{"posted", func() error { return nil }, 0,
				[]string{"1 lead back in the sales channel with Claim:\n• *Company back-1* (back-1)"}, []string{"Since then"}},
			{"back to marketing", func() error {
				r.clock.Advance(time.Hour)
				_, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: "back-1", Stage: handoff.StageRecycled, Reason: "No budget before Q1"}, r.policy, r.clock.Now(), handoff.ActorAPI)
				return err
			}, 1, []string{"*Company back-1* (back-1) went back to marketing"}, []string{"with Claim"}},
			{"came back as an SQL and routed again", func() error {
				r.clock.Advance(3 * 24 * time.Hour)
				_, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: "back-1", Stage: handoff.StageSQL}, r.policy, r.clock.Now(), handoff.ActorAPI)
				return err
			}, 2, []string{"1 lead back in the sales channel with Claim:\n• *Company back-1* (back-1)"}, []string{"went back to marketing", "Since then"}},
			{"accepted by the offered rep", func() error {
				lead, err := s.Lead(ctx, id)
				if err != nil {
					return err
				}
				if lead.Offer == nil || lead.Offer.State != handoff.OfferOffered {
					return fmt.Errorf("the lead that came back is not offered: %+v", lead.Offer)
				}
				offered = lead.Offer.Rep
				r.clock.Advance(time.Minute)
				_, err = b.Act(ctx, bot.Actor{Platform: offered.Platform, UserID: offered.ID}, bot.ActionAccept, fmt.Sprint(id))
				return err
			}, 3, []string{"Since then:\n• *Company back-1* (back-1) was claimed by <@"}, []string{"with Claim", "went back to marketing"}},
		}
		for _, st := range steps {
			if err := st.act(); err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			drain(t, disp)
			noteShows(t, st.name, deactivatedNoteIn(t, r.slack), st.updates, st.shows, st.showsNone)
		}
		if lead, err := s.Lead(ctx, id); err != nil || lead.Owner.UserID != offered.ID {
			t.Errorf("after the Accept: lead %+v, %v; want it owned by %s", lead, err, offered.ID)
		}
		if text := strings.Join(sectionTexts(deactivatedNoteIn(t, r.slack).Neutral()), "\n"); !strings.Contains(text, "was claimed by <@"+offered.ID+">") {
			t.Errorf("the note names another owner than %s:\n%s", offered.ID, text)
		}
	})
}
