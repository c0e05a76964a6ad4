package outbox_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/outbox"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestDispatchChannelBackQueuesWhatItRefused: a card Slack refused while
// the bot was out of the sales channel is queued again when the app is
// back there, not when it is back in another channel, and is then posted
// once; the managers' note said it would be, and is updated to say it is.
func TestDispatchChannelBackQueuesWhatItRefused(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s)
		disp := outbox.New(r.managersConfig("w1"))
		r.slack.RemoveBot("CSALES")
		l := saveLead(t, s, "refused-back")
		drain(t, disp)
		if st := outboxStatus(t, s); st.Dead != 1 || len(r.slack.Messages("CMGR")) != 1 {
			t.Fatalf("outbox = %+v, managers' notes %d; want the card dead and the managers told", st, len(r.slack.Messages("CMGR")))
		}
		if blocks, _ := json.Marshal(r.slack.Messages("CMGR")[0].Blocks); !strings.Contains(string(blocks), "The card is posted by itself") {
			t.Fatalf("managers' note = %s, want it to say the card is posted by itself once the app is back", blocks)
		}
		r.slack.InviteBot("CSALES")
		disp.ChannelBack(ctx, "slack", "CMGR")
		drain(t, disp)
		if st := outboxStatus(t, s); st.Dead != 1 || len(r.slack.Messages("CSALES")) != 0 {
			t.Fatalf("after the app is back in another channel: outbox = %+v, cards %d; want the card still dead", st, len(r.slack.Messages("CSALES")))
		}
		disp.ChannelBack(ctx, "slack", "CSALES")
		drain(t, disp)
		cards := r.slack.Messages("CSALES")
		if len(cards) != 1 || !strings.Contains(cards[0].Text, l.Company) {
			t.Fatalf("sales channel after the app is back = %+v, want the refused card once", cards)
		}
		if st := outboxStatus(t, s); st.Dead != 0 || st.Pending != 0 {
			t.Fatalf("outbox = %+v, want nothing dead or waiting", st)
		}
		note := r.slack.Messages("CMGR")[0]
		if note.Updates != 1 || !strings.Contains(note.Text, "In the sales channel now: "+l.Company) {
			t.Fatalf("managers' note (%d updates) = %q, want it updated to say the card is posted", note.Updates, note.Text)
		}
		disp.ChannelBack(ctx, "slack", "CSALES")
		drain(t, disp)
		if n := len(r.slack.Messages("CSALES")); n != 1 {
			t.Fatalf("sales channel has %d cards after the app is back a second time, want 1", n)
		}
	})
}

// TestDispatchPostThroughQueuesWhatTheChannelRefused: when the platform's
// word that the app is back was missed, the first post that goes through
// in the channel queues again what the channel refused: for a worker that
// starts after the refusal (it reads the places from the store) and for
// the worker that met it.
func TestDispatchPostThroughQueuesWhatTheChannelRefused(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		before := outbox.New(r.managersConfig("before"))
		r.slack.RemoveBot("CSALES")
		first := saveLead(t, s, "refused-first")
		drain(t, before)
		if st := outboxStatus(t, s); st.Dead != 1 {
			t.Fatalf("outbox = %+v, want the first card dead", st)
		}

		r.slack.InviteBot("CSALES") // and no word of it reaches Handoff
		after := outbox.New(r.managersConfig("after"))
		second := saveLead(t, s, "through-second")
		drain(t, after)
		if n, m := countCards(r, first.Company), countCards(r, second.Company); n != 1 || m != 1 {
			t.Fatalf("cards in the sales channel: %d of the refused lead, %d of the next; want 1 and 1", n, m)
		}
		if st := outboxStatus(t, s); st.Dead != 0 || st.Pending != 0 {
			t.Fatalf("outbox = %+v, want nothing dead or waiting", st)
		}

		r.slack.RemoveBot("CSALES")
		third := saveLead(t, s, "refused-third")
		drain(t, after)
		r.slack.InviteBot("CSALES")
		fourth := saveLead(t, s, "through-fourth")
		drain(t, after)
		if n, m := countCards(r, third.Company), countCards(r, fourth.Company); n != 1 || m != 1 {
			t.Fatalf("cards after the worker met the refusal itself: %d of the refused lead, %d of the next; want 1 and 1", n, m)
		}
		if st := outboxStatus(t, s); st.Dead != 0 {
			t.Fatalf("outbox = %+v, want nothing dead", st)
		}
	})
}

// countCards counts the cards in the sales channel naming company.
func countCards(r *rig, company string) int {
	n := 0
	for _, m := range r.slack.Messages("CSALES") {
		if strings.Contains(m.Text, company) {
			n++
		}
	}
	return n
}

// TestDispatchFormerChannelsRefusalsQueuedAtStart: a card a former sales
// channel refused (its setting corrected since, and Handoff restarted) is
// queued again when a worker starts, and posted to the channel now set,
// while what a channel still set refused waits for the app to be back
// there.
func TestDispatchFormerChannelsRefusalsQueuedAtStart(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		old := r.managersConfig("old")
		old.Targets[0].SalesChannel = "COLD"
		r.slack.RemoveBot("COLD")
		r.slack.RemoveBot("CMGR")
		l := saveLead(t, s, "former-channel")
		drain(t, outbox.New(old))
		if st := outboxStatus(t, s); st.Dead != 2 {
			t.Fatalf("outbox = %+v, want the card and the managers' note dead", st)
		}

		drain(t, outbox.New(r.managersConfig("corrected")))
		if n := countCards(r, l.Company); n != 1 {
			t.Fatalf("the card is in the sales channel now set %d times, want 1", n)
		}
		dead, err := s.DeadOutbox(context.Background(), 0)
		if err != nil || len(dead) == 0 {
			t.Fatalf("dead = %+v, %v; want the managers' notes still dead", dead, err)
		}
		for _, m := range dead {
			if m.Kind != handoff.OutboxCardGivenUp || m.RefusedBy != "CMGR" {
				t.Errorf("still dead: %s refused by %q; want only the notes the managers' channel, still set, refused", m.Kind, m.RefusedBy)
			}
		}
	})
}

// TestDispatchSharedReportRefusedIsNotQueuedAgain: a report someone shared
// to a channel the app is not in is given up like any refusal, but names
// no place: it is of its moment, and the app's return there does not post
// it.
func TestDispatchSharedReportRefusedIsNotQueuedAgain(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s)
		disp := outbox.New(r.managersConfig("w1"))
		r.slack.RemoveBot("CMKT")
		payload, _ := json.Marshal(bot.Envelope{Channel: "CMKT", User: "UMKT", Message: bot.Notice("Funnel, November")})
		if err := s.Enqueue(ctx, r.clock.Now(), handoff.OutboxMessage{Kind: handoff.OutboxShare, Platform: "slack", Payload: string(payload)}); err != nil {
			t.Fatal(err)
		}
		drain(t, disp)
		dead, err := s.DeadOutbox(ctx, 0)
		if err != nil || len(dead) != 1 || dead[0].Kind != handoff.OutboxShare || dead[0].RefusedBy != "" {
			t.Fatalf("dead = %+v, %v; want the shared report given up, refused by no place", dead, err)
		}
		r.slack.InviteBot("CMKT")
		disp.ChannelBack(ctx, "slack", "CMKT")
		drain(t, disp)
		if n := len(r.slack.Messages("CMKT")); n != 0 || outboxStatus(t, s).Dead != 1 {
			t.Fatalf("after the app is back in CMKT: %d messages there, outbox %+v; want the report still given up", n, outboxStatus(t, s))
		}
	})
}

// TestDispatchDisabledPlatformsRefusalsStayDead: what a Teams channel
// refused, once Teams is no longer enabled, is not queued again when a
// worker starts: it could only be given up once more.
func TestDispatchDisabledPlatformsRefusalsStayDead(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s)
		l := saveLead(t, s, "teams-refused")
		drain(t, outbox.New(r.managersConfig("slack")))
		if err := s.Enqueue(ctx, r.clock.Now(), handoff.OutboxMessage{Kind: handoff.OutboxAnnounceLead, LeadID: l.ID, Platform: "teams"}); err != nil {
			t.Fatal(err)
		}
		taken, err := s.TakeOutbox(ctx, r.clock.Now(), 1, time.Minute, "teams worker")
		if err != nil || len(taken) != 1 {
			t.Fatalf("take = %+v, %v", taken, err)
		}
		if errs := s.RecordOutbox(ctx, handoff.OutboxOutcome{Message: taken[0], At: r.clock.Now(), Dead: true,
			Cause: "BotNotInConversationRoster", RefusedBy: "19:team@thread.tacv2"}); errs[0] != nil {
			t.Fatal(errs[0])
		}
		drain(t, outbox.New(r.managersConfig("slack only")))
		dead, err := s.DeadOutbox(ctx, 0)
		if err != nil || len(dead) != 1 || dead[0].Platform != "teams" || dead[0].LastError != "BotNotInConversationRoster" || !dead[0].Requeued.IsZero() {
			t.Fatalf("dead = %+v, %v; want the Teams card as it was", dead, err)
		}
	})
}

// TestDispatchReplicaLearnsWhatAnotherRefused: two replicas share the
// outbox; a card refused on one of them is queued again when the next card
// goes through the channel on the other, which learns the refusal from the
// store within its idle wait, though it was running before the refusal.
func TestDispatchReplicaLearnsWhatAnotherRefused(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		b := outbox.New(r.managersConfig("b"))
		drain(t, b) // running, nothing refused yet
		a := outbox.New(r.managersConfig("a"))
		r.slack.RemoveBot("CSALES")
		refused := saveLead(t, s, "refused-on-a")
		drain(t, a)
		if st := outboxStatus(t, s); st.Dead != 1 {
			t.Fatalf("outbox = %+v, want the card dead", st)
		}
		r.slack.InviteBot("CSALES") // no word of it reaches Handoff
		r.clock.Advance(outbox.DefaultIdle)
		through := saveLead(t, s, "through-on-b")
		drain(t, b)
		drain(t, b)
		if n, m := countCards(r, refused.Company), countCards(r, through.Company); n != 1 || m != 1 {
			t.Fatalf("cards in the sales channel: %d of the refused lead, %d of the next; want 1 and 1 (outbox %+v)", n, m, outboxStatus(t, s))
		}
	})
}

// TestDispatchChannelBackDuringTheRefusal: the platform says the app is
// back (ChannelBack) after it refused a card but before the round recorded
// the card dead, so ChannelBack finds nothing to queue; the record then
// queues it at once, even when the worker is being stopped meanwhile, and
// it is posted.
func TestDispatchChannelBackDuringTheRefusal(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		round, stop := context.WithCancel(ctx)
		defer stop()
		r := newRig(t, s)
		var disp *outbox.Dispatcher
		cfg := r.managersConfig("w1")
		backed := false
		cfg.OnCall = func(_, method, outcome string, _ time.Duration) {
			if method == "post" && outcome == "permanent" && !backed {
				backed = true
				r.slack.InviteBot("CSALES")
				disp.ChannelBack(ctx, "slack", "CSALES")
				stop() // the server shuts down before the round records the refusal
			}
		}
		disp = outbox.New(cfg)
		r.slack.RemoveBot("CSALES")
		l := saveLead(t, s, "refused-while-back")
		if _, err := disp.RunOnce(round); err != nil {
			t.Fatal(err)
		}
		if !backed {
			t.Fatal("the card was never refused")
		}
		drain(t, disp) // the next start
		if n := countCards(r, l.Company); n != 1 {
			t.Fatalf("card posted %d times once the app was back, want 1 (outbox %+v)", n, outboxStatus(t, s))
		}
		if st := outboxStatus(t, s); st.Dead != 0 || st.Pending != 0 {
			t.Fatalf("outbox = %+v, want nothing dead or waiting", st)
		}
	})
}
