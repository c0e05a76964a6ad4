package outbox_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/outbox"
	"github.com/handoff/handoff/bot/report"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// The owner's Slack Home tab lists their open leads by name, so erasing
// one publishes the owner's home again, without the person.
func TestEraseRepublishesOwnersHome(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s)
		policy := handoff.DefaultPolicy()
		managers := map[string]bot.Managers{"slack": bothManagers{}}
		cfg := r.managersConfig("w")
		cfg.Homes = &report.Homes{Store: s, Policy: policy, Managers: managers, Now: r.clock.Now}
		disp := outbox.New(cfg)
		b := bot.New(bot.Config{Store: s, Policy: policy, Now: r.clock.Now, Logger: quiet(), Managers: managers})
		score := 90
		res, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: "gdpr-home", Name: "Annika Bergström",
			Email: "annika@bergstrom-consult.dk", Company: "Bergström Consult ApS", Score: &score}, policy, t0, handoff.ActorAPI)
		if err != nil {
			t.Fatal(err)
		}
		drain(t, disp)
		if _, err := b.Act(ctx, actor("UA"), bot.ActionClaim, fmt.Sprint(res.Lead.ID)); err != nil {
			t.Fatal(err)
		}
		drain(t, disp)
		homes := func() []string {
			var views []string
			for _, c := range r.slack.Calls("views.publish") {
				if c.Param("user_id") == "UA" {
					view, _ := json.Marshal(c.JSON["view"])
					views = append(views, string(view))
				}
			}
			return views
		}
		before := homes()
		if len(before) == 0 || !strings.Contains(before[len(before)-1], "Bergström") {
			t.Fatalf("the owner's home after the claim = %q, want it to list the lead", before)
		}

		if err := s.ForgetLead(ctx, "gdpr-home", policy, r.clock.Now()); err != nil {
			t.Fatal(err)
		}
		drain(t, disp)
		after := homes()
		if len(after) == len(before) {
			t.Fatalf("the owner's home was not published again after the erase; it still shows %s", after[len(after)-1])
		}
		if last := after[len(after)-1]; strings.Contains(last, "Bergström") || strings.Contains(last, "Annika") {
			t.Errorf("the owner's home after the erase still shows the person: %s", last)
		}
	})
}
