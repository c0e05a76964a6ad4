package outbox_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/report"
	slackbot "github.com/handoff/handoff/bot/slack"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// A list answer still queued at the erase writes the lead as chat text
// does, inside JSON: the company's & as &amp;, the _ of its id (an email
// address) as &#95;. The erasure drops it all the same, so it is never
// sent, and no table keeps the person in any of those forms.
func TestEraseDropsQueuedListWrittenInMarkup(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s)
		policy := handoff.DefaultPolicy()
		disp := r.dispatcher("w")
		b := bot.New(bot.Config{Store: s, Policy: policy, Now: r.clock.Now, Logger: quiet()})
		person := []string{"annika_berg@berg-co.dk", "Berg & Co ApS"}
		var leads []*handoff.Lead
		for _, in := range []handoff.LeadInput{
			{ExternalID: person[0], Name: "Annika Berg", Email: person[0], Company: person[1]},
			{ExternalID: "holm-1", Name: "Bo Holm", Company: "Holm A/S"},
		} {
			res, err := s.SaveLead(ctx, in, policy, t0, handoff.ActorAPI)
			if err != nil {
				t.Fatal(err)
			}
			leads = append(leads, res.Lead)
		}
		drain(t, disp)
		list := report.LeadsMessage("Open leads", leads, false, r.clock.Now(), policy)
		if err := b.Reply(ctx, bot.Actor{Platform: slackbot.Name, UserID: "UREP", ReplyTo: r.slack.ResponseURL("list")}, list); err != nil {
			t.Fatal(err)
		}
		if found, _ := s.FindText(ctx, person[1]); len(found) == 0 {
			t.Fatal("the queued list does not show the company: the test shows nothing")
		}

		if err := s.ForgetLead(ctx, person[0], policy, r.clock.Now()); err != nil {
			t.Fatal(err)
		}
		noTrace(t, s, "after the erase", person...)
		drain(t, disp)
		for _, m := range r.slack.Responses("list") {
			blocks, _ := json.Marshal(m.Blocks)
			if shown := m.Text + string(blocks); strings.Contains(shown, "Berg") {
				t.Errorf("the list queued before the erase was sent after it: %s", shown)
			}
		}
	})
}
