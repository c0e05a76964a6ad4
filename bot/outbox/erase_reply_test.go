package outbox_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/report"
	slackbot "github.com/handoff/handoff/bot/slack"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// Command answers that showed a lead through a Slack response_url are
// replaced with the erased view through that URL (replace_original) when
// the lead is erased, while Slack still accepts the URL (30 minutes); an
// answer whose URL has expired cannot be reached and is counted as such.
func TestEraseReplacesResponseURLAnswers(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s)
		policy := handoff.DefaultPolicy()
		disp := r.dispatcher("w")
		b := bot.New(bot.Config{Store: s, Policy: policy, Now: r.clock.Now, Logger: quiet()})
		person := []string{"Karin Øster", "karin@oster-design.dk", "Øster Design ApS"}
		res, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: "gdpr-answer", Name: person[0], Email: person[1], Company: person[2]},
			policy, t0, handoff.ActorAPI)
		if err != nil {
			t.Fatal(err)
		}
		drain(t, disp)
		answer := func(id string) {
			t.Helper()
			lead, err := s.Lead(ctx, res.Lead.ID)
			if err != nil {
				t.Fatal(err)
			}
			events, _ := s.Events(ctx, lead.ID)
			a := bot.Actor{Platform: slackbot.Name, UserID: "UREP", ReplyTo: r.slack.ResponseURL(id)}
			if err := b.Reply(ctx, a, report.HistoryMessage(lead, events, r.clock.Now(), policy)); err != nil {
				t.Fatal(err)
			}
			drain(t, disp)
		}
		answer("old")
		r.clock.Advance(20 * time.Minute)
		answer("fresh")
		// A list answer without this lead is left alone.
		if err := b.Reply(ctx, bot.Actor{Platform: slackbot.Name, UserID: "UREP", ReplyTo: r.slack.ResponseURL("other")},
			report.LeadsMessage("Your open leads", nil, false, r.clock.Now(), policy)); err != nil {
			t.Fatal(err)
		}
		drain(t, disp)
		for _, id := range []string{"old", "fresh"} {
			if got := r.slack.Responses(id); len(got) != 1 || !strings.Contains(got[0].Text, person[2]) {
				t.Fatalf("answer %s = %+v, want one showing the lead", id, got)
			}
		}

		r.clock.Advance(15 * time.Minute) // "old" is 35 minutes old now, "fresh" 15
		if err := s.ForgetLead(ctx, "gdpr-answer", policy, r.clock.Now()); err != nil {
			t.Fatal(err)
		}
		drain(t, disp)
		fresh := r.slack.Responses("fresh")
		if len(fresh) != 2 || !fresh[1].ReplaceOriginal || !strings.Contains(fresh[1].Text, "erased") {
			t.Fatalf("fresh answer after the erase = %+v, want it replaced with the erased view", fresh)
		}
		blocks, _ := json.Marshal(fresh[1].Blocks)
		raw := fresh[1].Text + string(blocks)
		for _, v := range person {
			if strings.Contains(raw, v) {
				t.Errorf("the replacement shows %q: %s", v, raw)
			}
		}
		if old := r.slack.Responses("old"); len(old) != 1 {
			t.Fatalf("expired answer was posted to again: %+v", old)
		}
		if other := r.slack.Responses("other"); len(other) != 1 {
			t.Fatalf("an answer without the lead was replaced: %+v", other)
		}
		noTrace(t, s, "after the outbox ran", person...)
	})
}
