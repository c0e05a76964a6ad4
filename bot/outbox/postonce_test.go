package outbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/outbox"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// killedBeforeRecord is the store of a process killed after its posts and
// before their outcomes committed: none of its outcomes is recorded.
type killedBeforeRecord struct{ outbox.Store }

func (killedBeforeRecord) RecordOutbox(_ context.Context, outcomes ...handoff.OutboxOutcome) []error {
	errs := make([]error, len(outcomes))
	for i := range errs {
		errs[i] = errors.New("killed before the commit")
	}
	return errs
}

// A post that reached Slack while its attempt ended without learning so (the
// answer lost, or the process killed before recording it) is found on the
// retry in the channel's or DM's history by the key its metadata carries,
// and recorded: one card, one escalation, one direct message. A refused
// attempt's retry finds nothing and posts once; a first attempt does not
// look. Only an app not granted the history scopes posts twice, as before.
func TestPostedOnceWhenAnAttemptsEndIsUnknown(t *testing.T) {
	cases := []struct {
		name       string
		escalation bool                      // the managers' escalation rather than the lead's card
		direct     bool                      // a direct message to UREP rather than the lead's card
		fail       func(f *slacktest.Server) // before the first attempt
		killed     bool                      // the first attempt's process dies before its record
		wantPosts  int                       // messages in the channel
		wantLooks  int                       // conversations.history calls
	}{
		{name: "posted at once", wantPosts: 1, wantLooks: 0},
		{name: "answer lost", fail: func(f *slacktest.Server) { f.LoseNextAnswers("chat.postMessage", 1) }, wantPosts: 1, wantLooks: 1},
		{name: "killed before the record", killed: true, wantPosts: 1, wantLooks: 1},
		{name: "refused before posting", fail: func(f *slacktest.Server) { f.FailNext("chat.postMessage", 1, http.StatusServiceUnavailable, 0) },
			wantPosts: 1, wantLooks: 1},
		{name: "answer lost, history not granted", fail: func(f *slacktest.Server) {
			f.DenyHistory()
			f.LoseNextAnswers("chat.postMessage", 1)
		}, wantPosts: 2, wantLooks: 1},
		{name: "direct message, answer lost", direct: true, fail: func(f *slacktest.Server) { f.LoseNextAnswers("chat.postMessage", 1) },
			wantPosts: 1, wantLooks: 1},
		{name: "direct message, killed before the record", direct: true, killed: true, wantPosts: 1, wantLooks: 1},
		{name: "escalation, answer lost", escalation: true, fail: func(f *slacktest.Server) { f.LoseNextAnswers("chat.postMessage", 1) },
			wantPosts: 1, wantLooks: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			storagetest.Each(t, func(t *testing.T, s *storage.Store) {
				ctx := context.Background()
				r := newRig(t, s)
				cfg := r.managersConfig("w1")
				disp := outbox.New(cfg)
				l := saveLead(t, s, "once")
				channel := "CSALES"
				var follow *handoff.OutboxMessage // a message after the card
				switch {
				case tc.escalation:
					channel = "CMGR"
					n, _ := json.Marshal(handoff.SLANotice{Action: handoff.SLAEscalateClaim, Due: t0, At: t0})
					follow = &handoff.OutboxMessage{Kind: handoff.OutboxEscalate, LeadID: l.ID, Payload: string(n)}
				case tc.direct:
					channel = "DUREP" // the fake's DM with UREP
					n, _ := json.Marshal(bot.Envelope{User: "UREP", Message: bot.Notice("Call Ann at " + l.Company)})
					follow = &handoff.OutboxMessage{Kind: handoff.OutboxDirect, LeadID: l.ID, Platform: "slack", Payload: string(n)}
				}
				if follow != nil {
					drain(t, disp) // the card
					if err := s.Enqueue(ctx, r.clock.Now(), *follow); err != nil {
						t.Fatal(err)
					}
				}
				if tc.fail != nil {
					tc.fail(r.slack)
				}
				if tc.killed {
					cfg.Store, cfg.Worker = killedBeforeRecord{s}, "killed"
					if _, err := outbox.New(cfg).RunOnce(ctx); err != nil {
						t.Fatal(err)
					}
					r.clock.Advance(2 * time.Minute) // its lease runs out
				}
				r.throughRetries(t, disp, 10, func() bool { return false })

				var posted []slacktest.Message
				for _, m := range r.slack.Messages(channel) {
					if strings.Contains(m.Text, l.Company) {
						posted = append(posted, m)
					}
				}
				if len(posted) != tc.wantPosts {
					t.Fatalf("%d messages of the lead in %s, want %d", len(posted), channel, tc.wantPosts)
				}
				if n := len(r.slack.Calls("conversations.history")); n != tc.wantLooks {
					t.Errorf("%d looks at the history, want %d", n, tc.wantLooks)
				}
				if st := outboxStatus(t, s); st.Pending != 0 || st.Dead != 0 {
					t.Errorf("outbox = %+v, want every message done", st)
				}
				// The message recorded is the one posted last (the only one,
				// unless the history could not be read).
				recorded := recordedPost(t, s, l.ID, channel)
				if want := posted[len(posted)-1].TS; recorded != want {
					t.Errorf("recorded post %q, want %q", recorded, want)
				}
			})
		})
	}
}

// A platform that cannot look is asked once a round, not once a message:
// two cards whose answers were lost, retried in one round, cost one refused
// look, and each is posted again.
func TestCannotLookIsAskedOnceARound(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		r.slack.DenyHistory()
		r.slack.LoseNextAnswers("chat.postMessage", 2)
		saveLead(t, s, "lost-1")
		saveLead(t, s, "lost-2")
		drain(t, r.disp)
		r.clock.Advance(2 * time.Second) // past both backoffs: one round retries both
		drain(t, r.disp)
		if n := len(r.slack.Messages("CSALES")); n != 4 {
			t.Errorf("%d cards in the channel, want 4 (each posted twice)", n)
		}
		if n := len(r.slack.Calls("conversations.history")); n != 1 {
			t.Errorf("%d looks at the history, want 1", n)
		}
	})
}

// A card whose answer was lost, while Slack then failed for longer than
// the outbox waits, is given up; queued again (handoff outbox retry), its
// first attempt looks for the post of the attempts before it was given
// up, from when it was first queued, and records it: one card, not two,
// shown to the lead's reps since it was posted, not since it was found.
// Its give-up deadline runs from the requeue: a failed first look is
// retried, not given up at once.
func TestRequeuedMessageFindsItsEarlierPost(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s)
		r.slack.SetClock(r.clock.Now)
		posted := r.clock.Now()
		cfg := r.config("w1")
		cfg.GiveUpAfter = time.Hour
		disp := outbox.New(cfg)
		r.slack.LoseNextAnswers("chat.postMessage", 1)
		r.slack.FailNext("conversations.history", 1000, http.StatusServiceUnavailable, 0)
		l := saveLead(t, s, "requeued")
		r.throughRetries(t, disp, 100, func() bool { return outboxStatus(t, s).Dead > 0 })
		if st := outboxStatus(t, s); st.Dead != 1 || st.Pending != 0 {
			t.Fatalf("outbox = %+v, want the card given up", st)
		}
		r.slack.Recover("conversations.history")
		r.slack.FailNext("conversations.history", 1, http.StatusServiceUnavailable, 0)
		r.clock.Advance(time.Hour)
		if n, err := s.RetryDeadOutbox(ctx, r.clock.Now()); err != nil || n != 1 {
			t.Fatalf("requeue = %d, %v", n, err)
		}
		drain(t, disp)
		if st := outboxStatus(t, s); st.Dead != 0 || st.Pending != 1 {
			t.Fatalf("outbox after a failed first look = %+v, want the card pending, not given up again", st)
		}
		r.throughRetries(t, disp, 10, func() bool { return outboxStatus(t, s).Pending == 0 })
		if st := outboxStatus(t, s); st.Dead != 0 || st.Pending != 0 {
			t.Fatalf("outbox = %+v, want the requeued card done", st)
		}
		cards := r.slack.Messages("CSALES")
		if len(cards) != 1 || !strings.Contains(cards[0].Text, l.Company) {
			t.Fatalf("cards in the channel = %+v, want the one posted before the card was given up", cards)
		}
		if got := recordedPost(t, s, l.ID, "CSALES"); got != cards[0].TS {
			t.Errorf("recorded card %q, want %q", got, cards[0].TS)
		}
		lead, err := s.Lead(ctx, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		if lead.ShownAt == nil || !lead.ShownAt.Truncate(time.Second).Equal(posted.Truncate(time.Second)) {
			t.Errorf("card shown at %v, want %v, when it was posted", lead.ShownAt, posted)
		}
	})
}

// recordedPost is the id of the post of lead id recorded in channel.
func recordedPost(t *testing.T, s *storage.Store, id int64, channel string) string {
	t.Helper()
	ctx := context.Background()
	if channel == "CSALES" {
		posts, err := s.ChatPosts(ctx, id)
		if err != nil || len(posts) != 1 {
			t.Fatalf("cards = %+v, %v; want one", posts, err)
		}
		return posts[0].MessageID
	}
	msgs, err := s.LeadMessages(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, m := range msgs {
		if m.Channel == channel {
			found = append(found, m.MessageID)
		}
	}
	if len(found) != 1 {
		t.Fatalf("messages recorded in %s = %v, want one", channel, found)
	}
	return found[0]
}
