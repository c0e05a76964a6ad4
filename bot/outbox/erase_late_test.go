package outbox_test

import (
	"context"
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

// A command's late answer, made from the lead before its erasure and
// queued after it (the erasure dropped what was queued, not this), is sent
// as the erased answer; one made after the erasure shows the anonymous
// lead and is sent as it is.
func TestLateAnswerOfAnErasedLeadIsReplaced(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s)
		policy := handoff.DefaultPolicy()
		disp := r.dispatcher("w")
		b := bot.New(bot.Config{Store: s, Policy: policy, Now: r.clock.Now, Logger: quiet()})
		person := "Late Answer ApS"
		res, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: "gdpr-late", Name: "Lene Sen", Company: person}, policy, t0, handoff.ActorAPI)
		if err != nil {
			t.Fatal(err)
		}
		drain(t, disp)
		made := r.clock.Now()
		lead, err := s.Lead(ctx, res.Lead.ID)
		if err != nil {
			t.Fatal(err)
		}
		before := report.HistoryMessage(lead, nil, made, policy)
		before.ReadAt = made

		r.clock.Advance(10 * time.Second)
		if err := s.ForgetLead(ctx, "gdpr-late", policy, r.clock.Now()); err != nil {
			t.Fatal(err)
		}
		r.clock.Advance(10 * time.Second)
		erased, err := s.Lead(ctx, res.Lead.ID)
		if err != nil {
			t.Fatal(err)
		}
		after := report.HistoryMessage(erased, nil, r.clock.Now(), policy)
		after.ReadAt = r.clock.Now()
		for id, msg := range map[string]bot.Message{"before": before, "after": after} {
			if err := b.Reply(ctx, bot.Actor{Platform: slackbot.Name, UserID: "UREP", ReplyTo: r.slack.ResponseURL(id)}, msg); err != nil {
				t.Fatal(err)
			}
		}
		drain(t, disp)
		if got := r.slack.Responses("before"); len(got) != 1 || strings.Contains(got[0].Text, person) || !strings.Contains(got[0].Text, "erased while it was being made") {
			t.Errorf("the answer made before the erasure = %+v, want the erased answer", got)
		}
		if got := r.slack.Responses("after"); len(got) != 1 || strings.Contains(got[0].Text, person) {
			t.Errorf("the answer made after the erasure = %+v, want it sent, without the person", got)
		}
		msgs, err := s.OutboxMessages(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		done := 0
		for _, m := range msgs {
			if m.Kind == handoff.OutboxReply && m.Status == storage.OutboxDone {
				done++
			}
		}
		if done != 2 {
			t.Errorf("replies done = %d, want both", done)
		}
	})
}
