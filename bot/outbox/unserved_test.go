package outbox_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/outbox"
	"github.com/handoff/handoff/bot/teams"
	"github.com/handoff/handoff/bot/teams/teamstest"
	"github.com/handoff/handoff/internal/testkit"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// teamsSalesChannel is the stand-in Teams' sales channel of the outbox's Teams tests.
const teamsSalesChannel = "19:sales@thread.tacv2"

// teamsTarget is a Teams platform on the stand-in Bot Framework bf,
// posting to teamsSalesChannel, stored as installed there.
func teamsTarget(t *testing.T, s *storage.Store, bf *teamstest.Server) bot.Target {
	t.Helper()
	if err := s.SaveTeamsConversation(context.Background(), handoff.TeamsConversation{ConversationID: teamsSalesChannel, ChannelID: teamsSalesChannel, ChannelName: "Sales",
		ServiceURL: bf.ServiceURL(), TenantID: "t1", BotID: "28:" + teamstest.AppID}, t0); err != nil {
		t.Fatal(err)
	}
	p := teams.NewPlatform(teams.NewConnector(teamstest.AppID, teamstest.AppSecret, bf.TokenURL(), nil, teamstest.ClientTimeout), s, "t1")
	return bot.Target{Platform: p, SalesChannel: teamsSalesChannel}
}

// teamsCards counts the cards posted to the stand-in Teams' sales
// channel (a new thread there: the channel's id and the message's).
func teamsCards(bf *teamstest.Server) int {
	n := 0
	for _, c := range bf.Calls() {
		if c.Op == "create" && strings.HasPrefix(c.ConversationID, teamsSalesChannel) {
			n++
		}
	}
	return n
}

// In a rolling deploy that adds Teams, a replica not yet given Teams'
// credentials shares the outbox with one that has them: it posts the new
// SQL's Slack card and leaves the Teams card to the other, which posts it;
// nothing is given up.
func TestDispatchLeavesAPlatformToTheReplicaThatServesIt(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		bf := teamstest.New(t)
		cfg := r.config("slack-and-teams")
		cfg.Targets = append(cfg.Targets, teamsTarget(t, s, bf))
		both := outbox.New(cfg)
		l := saveLead(t, s, "rolling-deploy")
		// The new replica splits the card into one per platform...
		if n, err := both.RunOnce(context.Background()); err != nil || n != 1 {
			t.Fatalf("RunOnce = %d, %v; want the card split", n, err)
		}
		// ...and the old one looks at the outbox first.
		drain(t, r.disp)
		drain(t, both)
		cardsPosted(t, r, bf, l.Company, 1)
		if st := outboxStatus(t, s); st.Pending != 0 || st.Dead != 0 {
			t.Fatalf("outbox = %+v, want every message done, none given up", st)
		}
	})
}

// With no replica given Teams' credentials, a message for Teams waits,
// pending, not given up; once it has waited UnservedAfter the replica
// warns in its log, naming the platform and the command that drops its
// messages, should it have been removed for good.
func TestDispatchWarnsWhenNoReplicaServesAPlatform(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s)
		var logs testkit.LogBuffer
		cfg := r.config("slack-only")
		cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		d := outbox.New(cfg)
		l := saveLead(t, s, "no-teams-replica")
		if err := s.Enqueue(ctx, r.clock.Now(), handoff.OutboxMessage{Kind: handoff.OutboxAnnounceLead, LeadID: l.ID, Platform: teams.Name}); err != nil {
			t.Fatal(err)
		}
		const warning = "no other replica takes them"
		for _, wait := range []time.Duration{0, outbox.UnservedAfter - time.Second, 2 * time.Second} {
			r.clock.Advance(wait)
			drain(t, d)
			msgs, err := s.OutboxMessages(ctx, l.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range msgs {
				if m.Platform == teams.Name && (m.Status != storage.OutboxPending || m.Attempts != 0) {
					t.Fatalf("after %s the Teams card is %s after %d attempts (%s), want pending, untried", r.clock.Now().Sub(t0), m.Status, m.Attempts, m.LastError)
				}
			}
			warned := strings.Contains(logs.String(), warning)
			if want := r.clock.Now().Sub(t0) > outbox.UnservedAfter; warned != want {
				t.Fatalf("after %s warned = %v, want %v; log:\n%s", r.clock.Now().Sub(t0), warned, want, logs.String())
			}
		}
		if log := logs.String(); !strings.Contains(log, "platform=teams") || !strings.Contains(log, "messages=1") {
			t.Fatalf("the warning does not name the platform and its message:\n%s", log)
		}
		if log := logs.String(); !strings.Contains(log, `drop_with="handoff outbox drop --platform teams --pending"`) {
			t.Fatalf("the warning does not say how to drop the messages of a platform removed for good:\n%s", log)
		}
		// Nor does the replica wake for the card: due long ago, it
		// would look at the outbox again every 50 ms while it waits.
		spy := dueSpy{Store: s, due: make(chan bool, 1)}
		cfg.Store = spy
		run, stop := context.WithCancel(ctx)
		done := make(chan error)
		go func() { done <- outbox.New(cfg).Run(run) }()
		select {
		case due := <-spy.due:
			if due {
				t.Error("the replica sleeps until the Teams card it leaves, due long ago")
			}
		case <-time.After(time.Minute):
			t.Error("the replica never asked when its next message is due")
		}
		stop()
		<-done
	})
}

// dueSpy is the store, telling the test whether NextOutboxDueFor found a
// message due for the dispatcher.
type dueSpy struct {
	*storage.Store
	due chan bool
}

func (s dueSpy) NextOutboxDueFor(ctx context.Context, worker string, now time.Time, platforms ...string) (time.Time, bool, error) {
	at, ok, err := s.Store.NextOutboxDueFor(ctx, worker, now, platforms...)
	select {
	case s.due <- ok:
	default: // the test has not taken the last one yet
	}
	return at, ok, err
}
