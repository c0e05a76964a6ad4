package outbox_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// A lead erased while one replica posts its card, with another replica
// running the erasure's chat work before the post is recorded: the card,
// which Slack shows with the person's data, is still changed to the
// anonymous view once the post is recorded.
func TestEraseDuringAnnounceReachesTheCard(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s)
		l := saveLead(t, s, "erase-race")
		second := r.dispatcher("replica-2")
		var once sync.Once
		first := dispatcherAt(r, slowSlack(t, r, func() {
			once.Do(func() {
				if err := s.ForgetLead(ctx, "erase-race", handoff.DefaultPolicy(), r.clock.Now()); err != nil {
					t.Error(err)
				}
				drain(t, second) // the erasure's work, before the card is recorded
			})
		}), "replica-1", time.Minute)
		drain(t, first)
		drain(t, second)
		posts := r.slack.Calls("chat.postMessage")
		if n := postsOf(posts, l.Company); n != 1 {
			t.Fatalf("card posted %d times, want 1", n)
		}
		card := ""
		for _, c := range posts {
			if strings.Contains(c.Param("text"), l.Company) {
				card = c.Param("channel") + "/" + c.TS
			}
		}
		last := ""
		for _, c := range r.slack.Calls("chat.update") {
			if c.Param("channel")+"/"+c.Param("ts") == card {
				last = c.Param("text") + c.Param("blocks")
			}
		}
		if last == "" || strings.Contains(last, l.Company) {
			t.Fatalf("the card %s, posted while the lead was erased, was last updated to %q; want the anonymous view", card, last)
		}
	})
}

// A replica whose lease runs out while Slack takes its post (a pause, a
// lost connection to the database) cannot stop the replica that takes the
// message over from posting the card again; but the card it posted is
// recorded all the same, so erasing the lead changes both cards.
func TestLeaseLostMidPostCardStillErased(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s)
		l := saveLead(t, s, "lease-lost")
		const lease = 2 * time.Minute
		second := r.dispatcher("replica-2")
		var once sync.Once
		first := dispatcherAt(r, slowSlack(t, r, func() {
			once.Do(func() {
				r.clock.Advance(2 * lease) // no renewal ticks meanwhile
				drain(t, second)
			})
		}), "replica-1", lease)
		drain(t, first)
		drain(t, second)
		cards := map[string]bool{}
		for _, c := range r.slack.Calls("chat.postMessage") {
			if strings.Contains(c.Param("text"), l.Company) {
				cards[c.Param("channel")+"/"+c.TS] = true
			}
		}
		if len(cards) != 2 {
			t.Fatalf("cards = %v, want the stalled replica's and its successor's", cards)
		}
		if err := s.ForgetLead(ctx, "lease-lost", handoff.DefaultPolicy(), r.clock.Now()); err != nil {
			t.Fatal(err)
		}
		drain(t, second)
		last := map[string]string{}
		for _, c := range r.slack.Calls("chat.update") {
			last[c.Param("channel")+"/"+c.Param("ts")] = c.Param("text") + c.Param("blocks")
		}
		for card := range cards {
			if after, ok := last[card]; !ok || strings.Contains(after, l.Company) {
				t.Errorf("card %s after the erase = %q (updated %v), want the anonymous view", card, after, ok)
			}
		}
	})
}

// The owner's direct message with the contact details, being posted by
// one replica when the lead is erased and the erasure's work done by
// another, is changed to the erased view once it is recorded.
func TestEraseDuringOwnerDMReachesIt(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s)
		l := saveLead(t, s, "erase-dm")
		drain(t, r.disp)
		b := bot.New(bot.Config{Store: s, Policy: handoff.DefaultPolicy(), Now: r.clock.Now, Logger: quiet(),
			Managers: map[string]bot.Managers{"slack": bothManagers{}}})
		if _, err := b.Act(ctx, actor("UA"), bot.ActionClaim, fmt.Sprint(l.ID)); err != nil {
			t.Fatal(err)
		}
		second := r.dispatcher("replica-2")
		var once sync.Once
		first := dispatcherAt(r, hookedSlack(t, r, func(method string) {
			if method != "chat.postMessage" {
				return
			}
			once.Do(func() {
				if err := s.ForgetLead(ctx, "erase-dm", handoff.DefaultPolicy(), r.clock.Now()); err != nil {
					t.Error(err)
				}
				drain(t, second)
			})
		}), "replica-1", time.Minute)
		drain(t, first)
		drain(t, second)
		dm := ""
		for _, c := range r.slack.Calls("chat.postMessage") {
			if c.Param("channel") != "CSALES" && strings.Contains(c.Param("text")+c.Param("blocks"), l.Company) {
				dm = c.Param("channel") + "/" + c.TS
			}
		}
		if dm == "" {
			t.Fatal("the owner's DM was not posted")
		}
		last := ""
		for _, c := range r.slack.Calls("chat.update") {
			if c.Param("channel")+"/"+c.Param("ts") == dm {
				last = c.Param("text") + c.Param("blocks")
			}
		}
		if !strings.Contains(last, "personal data was erased") {
			t.Fatalf("the owner's DM %s, posted while the lead was erased, was last updated to %q; want the erased view", dm, last)
		}
	})
}
