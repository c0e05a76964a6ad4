package outbox_test

import (
	"context"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/outbox"
	"github.com/handoff/handoff/bot/teams/teamstest"
	"github.com/handoff/handoff/internal/testkit"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// teamsSales is a dispatcher posting to the stand-in Teams' sales channel
// (teamsTarget) on clock.
func teamsSales(t *testing.T, s *storage.Store, bf *teamstest.Server, clock *testkit.Clock, worker string) *outbox.Dispatcher {
	t.Helper()
	return outbox.New(outbox.Config{Store: s, Targets: []bot.Target{teamsTarget(t, s, bf)}, Policy: handoff.DefaultPolicy(),
		Now: clock.Now, Logger: quiet(), Worker: worker, Lease: time.Minute})
}

// TestDispatchTeamsUnavailableWaitsItsRetryAfter: a card the Bot
// Connector refused with 503 Service Unavailable and Retry-After: 120
// waits the two minutes it asked for, not the outbox's own backoff of a
// second or so, and is posted once they are over.
func TestDispatchTeamsUnavailableWaitsItsRetryAfter(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		bf := teamstest.New(t)
		clock := testkit.NewClock(t0)
		disp := teamsSales(t, s, bf, clock, "w1")
		bf.Unavailable(1, "120")
		l := saveLead(t, s, "teams-503")
		drain(t, disp)
		msgs, err := s.OutboxMessages(ctx, l.ID)
		if err != nil || len(msgs) != 1 {
			t.Fatalf("outbox of the lead = %+v, %v; want its card", msgs, err)
		}
		if m := msgs[0]; m.Status != storage.OutboxPending || !m.Due.Equal(t0.Add(2*time.Minute)) {
			t.Fatalf("card %s, due %s; want pending, due at %s (Retry-After: 120)", m.Status, m.Due, t0.Add(2*time.Minute))
		}

		clock.Advance(2 * time.Minute)
		drain(t, disp)
		posts, err := s.ChatPosts(ctx, l.ID)
		if err != nil || len(posts) != 1 {
			t.Fatalf("cards after the wait = %+v, %v; want the card posted", posts, err)
		}
	})
}
