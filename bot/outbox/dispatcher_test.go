package outbox_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/outbox"
	slackbot "github.com/handoff/handoff/bot/slack"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/internal/testkit"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

const botToken = "xoxb-test"

// t0, quiet, saveLead, actor and drain are the shared rig pieces.
var (
	t0       = testkit.T0
	quiet    = testkit.Quiet
	saveLead = testkit.SaveSQL
	actor    = testkit.SlackActor
	drain    = testkit.Drain
)

type rig struct {
	store *storage.Store
	slack *slacktest.Server
	clock *testkit.Clock
	disp  *outbox.Dispatcher
}

func newRig(t *testing.T, s *storage.Store) *rig {
	t.Helper()
	fake := slacktest.New(botToken)
	t.Cleanup(fake.Close)
	r := &rig{store: s, slack: fake, clock: testkit.NewClock(t0)}
	r.disp = r.dispatcher("w1")
	return r
}

func (r *rig) dispatcher(worker string) *outbox.Dispatcher {
	return outbox.New(r.config(worker))
}

// config is the rig's dispatcher configuration, posting to the fake
// Slack's CSALES, for a test to add to before outbox.New.
func (r *rig) config(worker string) outbox.Config {
	p := slackbot.NewPlatform(slackbot.NewClient(botToken, "", r.slack.APIURL(), slacktest.ClientTimeout))
	return outbox.Config{
		Store: r.store, Targets: []bot.Target{{Platform: p, SalesChannel: "CSALES"}}, Policy: handoff.DefaultPolicy(),
		Now: r.clock.Now, Logger: quiet(), Worker: worker, Lease: time.Minute,
	}
}

// managersConfig is config with the managers' channel CMGR.
func (r *rig) managersConfig(worker string) outbox.Config {
	cfg := r.config(worker)
	cfg.Targets[0].ManagerChannel = "CMGR"
	return cfg
}

func postsOf(calls []slacktest.Call, company string) int {
	n := 0
	for _, c := range calls {
		if strings.Contains(c.Param("text"), company) {
			n++
		}
	}
	return n
}

func outboxStatus(t *testing.T, s *storage.Store) storage.OutboxStats {
	t.Helper()
	st, err := s.OutboxStats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestDispatchAnnounceOnce(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		l := saveLead(t, s, "once")
		drain(t, r.disp)
		posts, err := s.ChatPosts(context.Background(), l.ID)
		if err != nil {
			t.Fatal(err)
		}
		calls := r.slack.Calls("chat.postMessage")
		if len(calls) != 1 || len(posts) != 1 || posts[0].MessageID == "" || posts[0].Channel != "CSALES" {
			t.Fatalf("calls = %d, posts = %+v; want one post stored with its ts", len(calls), posts)
		}
		if !strings.Contains(calls[0].Param("blocks"), bot.ActionClaim) {
			t.Fatalf("posted blocks have no Claim button: %s", calls[0].Param("blocks"))
		}
		// A second announcement (a replayed intake) does not post again.
		if err := s.Enqueue(context.Background(), r.clock.Now(), handoff.OutboxMessage{Kind: handoff.OutboxAnnounceLead, LeadID: l.ID}); err != nil {
			t.Fatal(err)
		}
		drain(t, r.disp)
		if n := len(r.slack.Calls("chat.postMessage")); n != 1 {
			t.Fatalf("posts after re-announce = %d, want 1", n)
		}
	})
}

func TestDispatchRateLimit(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		r.slack.FailNext("chat.postMessage", 1, http.StatusTooManyRequests, 7)
		a, b := saveLead(t, s, "rl-a"), saveLead(t, s, "rl-b")
		drain(t, r.disp)
		// One call was made and refused; the second lead was held back
		// rather than sent into the limit.
		if n := len(r.slack.Calls("chat.postMessage")); n != 1 {
			t.Fatalf("calls during the limit = %d, want 1", n)
		}
		r.clock.Advance(6 * time.Second)
		drain(t, r.disp)
		if n := len(r.slack.Calls("chat.postMessage")); n != 1 {
			t.Fatalf("calls before Retry-After passed = %d, want 1", n)
		}
		r.clock.Advance(2 * time.Second)
		drain(t, r.disp)
		calls := r.slack.Calls("chat.postMessage")
		if len(calls) != 3 || postsOf(calls[1:], a.Company) != 1 || postsOf(calls[1:], b.Company) != 1 {
			t.Fatalf("after the wait: %d calls, want each lead posted once more", len(calls))
		}
		if st := outboxStatus(t, s); st.Pending != 0 || st.Dead != 0 {
			t.Fatalf("outbox = %+v, want empty", st)
		}
	})
}

func TestDispatchOutageRecovery(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		r.slack.FailNext("chat.postMessage", 4, http.StatusServiceUnavailable, 0)
		l := saveLead(t, s, "outage")
		waits := r.throughRetries(t, r.disp, 10, func() bool { return len(r.slack.Calls("chat.postMessage")) >= 5 })
		drain(t, r.disp)
		if postsOf(r.slack.Calls("chat.postMessage"), l.Company) != 5 {
			t.Fatalf("calls = %d, want 4 failures and 1 success", len(r.slack.Calls("chat.postMessage")))
		}
		posts, _ := s.ChatPosts(context.Background(), l.ID)
		if len(posts) != 1 {
			t.Fatalf("posts = %+v, want 1", posts)
		}
		// Backoff grows (with jitter: each wait lies in [base/2, base]).
		for i, w := range waits {
			base := time.Second << i
			if w < base/2 || w > base {
				t.Errorf("wait %d = %s, want within [%s, %s]", i+1, w, base/2, base)
			}
		}
	})
}

func TestDispatchPermanentFailure(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		r.slack.ChannelNotFound("CSALES")
		saveLead(t, s, "gone")
		drain(t, r.disp)
		if st := outboxStatus(t, s); st.Pending != 0 || st.Dead != 1 {
			t.Fatalf("outbox = %+v, want the message dead", st)
		}
		if n := len(r.slack.Calls("chat.postMessage")); n != 1 {
			t.Fatalf("calls = %d, want 1 (no retries)", n)
		}
	})
}

// A new SQL's card given up tells the managers' channel, rendered from the
// lead with the platform's answer and Reassign; a given-up message of any
// other kind tells nobody.
func TestDispatchCardGivenUpTellsManagers(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		disp := outbox.New(r.managersConfig("w1"))
		r.slack.RemoveBot("CSALES")
		l := saveLead(t, s, "refused")
		drain(t, disp)
		notes := r.slack.Messages("CMGR")
		if len(notes) != 1 {
			t.Fatalf("managers' channel = %+v, want one note", notes)
		}
		blocks, _ := json.Marshal(notes[0].Blocks)
		for _, want := range []string{"Not in the sales channel: " + l.Company, "could not be posted to the sales channel", "not_in_channel", bot.ActionReassign} {
			if !strings.Contains(notes[0].Text+string(blocks), want) {
				t.Errorf("note lacks %q:\n%s\n%s", want, notes[0].Text, blocks)
			}
		}
		if st := outboxStatus(t, s); st.Pending != 0 || st.Dead != 1 {
			t.Fatalf("outbox = %+v, want the card dead and the note sent", st)
		}
		// Retried once the bot is back, the card is posted and the note says
		// so; a refresh of it given up later (the bot removed again) adds no
		// note.
		ctx := context.Background()
		r.slack.InviteBot("CSALES")
		if n, err := s.RetryDeadOutbox(ctx, r.clock.Now()); err != nil || n != 1 {
			t.Fatalf("retry = %d, %v", n, err)
		}
		drain(t, disp)
		if n := len(r.slack.Messages("CSALES")); n != 1 {
			t.Fatalf("sales channel has %d cards after the retry, want 1", n)
		}
		note := r.slack.Messages("CMGR")[0]
		if note.Updates != 1 || !strings.Contains(note.Text, "In the sales channel now: "+l.Company) {
			t.Fatalf("note after the retry (%d updates) = %q, want it updated to say the card is posted", note.Updates, note.Text)
		}
		r.slack.RemoveBot("CSALES")
		if err := s.Enqueue(ctx, r.clock.Now(), handoff.OutboxMessage{Kind: handoff.OutboxRefreshLead, LeadID: l.ID}); err != nil {
			t.Fatal(err)
		}
		drain(t, disp)
		if st := outboxStatus(t, s); st.Dead != 1 || len(r.slack.Calls("chat.update")) == 0 {
			t.Fatalf("outbox = %+v after %d updates, want the refresh tried and given up", st, len(r.slack.Calls("chat.update")))
		}
		if n := len(r.slack.Messages("CMGR")); n != 1 {
			t.Fatalf("managers' channel has %d notes after a refresh was given up, want still 1", n)
		}
		// Erasing the lead reaches the note too.
		if err := s.ForgetLead(ctx, l.ExternalID, handoff.DefaultPolicy(), r.clock.Now()); err != nil {
			t.Fatal(err)
		}
		drain(t, disp)
		noTrace(t, s, "after the erase", l.Company)
		note = r.slack.Messages("CMGR")[0]
		after, _ := json.Marshal(note.Blocks)
		if note.Updates != 2 || strings.Contains(note.Text+string(after), l.Company) || !strings.Contains(string(after), "personal data was erased") {
			t.Fatalf("note after the erase (%d updates) = %s %s, want the erased view", note.Updates, note.Text, after)
		}
	})
}

func TestDispatchRestartMidQueue(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		var leads []*handoff.Lead
		for i := range 6 {
			leads = append(leads, saveLead(t, s, fmt.Sprintf("restart-%d", i)))
		}
		ctx := context.Background()
		// Worker 1 leases two messages and dies before sending them.
		if _, err := s.TakeOutbox(ctx, r.clock.Now(), 2, time.Minute, "dead-worker"); err != nil {
			t.Fatal(err)
		}
		// Worker 2 handles what it can see, then stops.
		first := r.dispatcher("w2")
		if _, err := first.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if n := len(r.slack.Calls("chat.postMessage")); n != 4 {
			t.Fatalf("posts by the first worker = %d, want 4", n)
		}
		// A new process on the same database, after the dead lease ran out.
		r.clock.Advance(2 * time.Minute)
		drain(t, r.dispatcher("w3"))
		calls := r.slack.Calls("chat.postMessage")
		for _, l := range leads {
			if n := postsOf(calls, l.Company); n != 1 {
				t.Errorf("%s posted %d times, want 1", l.Company, n)
			}
		}
		if st := outboxStatus(t, s); st.Pending != 0 {
			t.Fatalf("outbox = %+v, want empty", st)
		}
	})
}

func TestDispatchRefreshAndNotices(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		ctx := context.Background()
		l := saveLead(t, s, "refresh")
		drain(t, r.disp)
		b := bot.New(bot.Config{Store: s, Policy: handoff.DefaultPolicy(), Now: r.clock.Now, Logger: quiet(),
			Managers: map[string]bot.Managers{"slack": bothManagers{}}})
		for _, u := range []string{"UA", "UB"} {
			if _, err := b.Act(ctx, actor(u), bot.ActionClaim, fmt.Sprint(l.ID)); err != nil {
				t.Fatal(err)
			}
		}
		drain(t, r.disp)
		updates := r.slack.Calls("chat.update")
		posts, err := s.ChatPosts(ctx, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(updates) != 1 || updates[0].Param("ts") != posts[0].MessageID || updates[0].Param("channel") != "CSALES" {
			t.Fatalf("updates = %+v, want 1 of the posted ts %s", updates, posts[0].MessageID)
		}
		if !strings.Contains(updates[0].Param("text"), "<@UA>") || !strings.Contains(updates[0].Param("blocks"), `Claimed by \u003c@UA\u003e`) {
			t.Fatalf("update does not name the owner: %s", updates[0].Param("blocks"))
		}
		eph := r.slack.Calls("chat.postEphemeral")
		if len(eph) != 1 || eph[0].Param("user") != "UB" || !strings.Contains(eph[0].Param("text"), "<@UA>") {
			t.Fatalf("ephemerals = %+v, want one to UB naming UA", eph)
		}
		if open := r.slack.Calls("conversations.open"); len(open) != 1 || open[0].Param("users") != "UA" {
			t.Fatalf("conversations.open = %+v, want one for UA", open)
		}
		if dm := postsTo(r.slack.Calls("chat.postMessage"), "DUA"); dm != 1 {
			t.Fatalf("DMs to UA = %d, want 1", dm)
		}
	})
}

func postsTo(calls []slacktest.Call, channel string) int {
	n := 0
	for _, c := range calls {
		if c.Param("channel") == channel {
			n++
		}
	}
	return n
}

// sleepingStore tells when the dispatcher asks when the next message is
// due: what Run does last before it sleeps.
type sleepingStore struct {
	*storage.Store
	asked chan struct{}
}

func (s sleepingStore) NextOutboxDueFor(ctx context.Context, worker string, now time.Time, platforms ...string) (time.Time, bool, error) {
	defer func() {
		select {
		case s.asked <- struct{}{}:
		default: // the test has not taken the last one yet
		}
	}()
	return s.Store.NextOutboxDueFor(ctx, worker, now, platforms...)
}

func TestDispatchRunWakesAndStops(t *testing.T) {
	s := storagetest.Open(t, storage.DialectSQLite)
	fake := slacktest.New(botToken)
	defer fake.Close()
	p := slackbot.NewPlatform(slackbot.NewClient(botToken, "", fake.APIURL(), slacktest.ClientTimeout))
	asked := make(chan struct{}, 1)
	d := outbox.New(outbox.Config{Store: sleepingStore{s, asked}, Targets: []bot.Target{{Platform: p, SalesChannel: "CSALES"}},
		Policy: handoff.DefaultPolicy(), Logger: quiet(), Idle: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	<-asked // Run found nothing due and sleeps for up to Idle (an hour) unless woken
	score := 50
	if _, err := s.SaveLead(context.Background(), handoff.LeadInput{ExternalID: "wake", Company: "Wake", Score: &score}, handoff.DefaultPolicy(), time.Now(), handoff.ActorAPI); err != nil {
		t.Fatal(err)
	}
	d.Wake()
	if calls := fake.Wait("chat.postMessage", 1, 30*time.Second); len(calls) != 1 {
		t.Fatalf("posts after Wake = %d, want 1", len(calls))
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v, want nil", err)
		}
	case <-time.After(30 * time.Second): // a bound on a failing test, far below Idle
		t.Fatal("Run did not return after cancel")
	}
}

// bothManagers is a bot.Managers for whom every user is a manager (and so
// may act on any lead).
type bothManagers struct{}

func (bothManagers) IsManager(ctx context.Context, userID string) (bool, error) { return true, nil }
