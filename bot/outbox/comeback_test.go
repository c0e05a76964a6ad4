package outbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/outbox"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/bot/teams"
	"github.com/handoff/handoff/bot/teams/teamstest"
	"github.com/handoff/handoff/internal/testkit"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// A lead recycled back to marketing that later arrives as an SQL again is
// announced anew with Claim, on a fresh SLA clock, and can be claimed; its
// first card, which said it was recycled, is updated to say that it came
// back and to see its new card, still saying why it had left, and offers
// no Claim; the claim of the new card leaves it as it is.
func TestDispatchLeadComesBack(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s)
		policy := handoff.DefaultPolicy()
		b := bot.New(bot.Config{Store: s, Policy: policy, Now: r.clock.Now, Logger: quiet(),
			Managers: map[string]bot.Managers{"slack": bothManagers{}}})
		l := saveLead(t, s, "back")
		drain(t, r.disp)
		if _, err := b.Act(ctx, actor("UA"), bot.ActionClaim, fmt.Sprint(l.ID)); err != nil {
			t.Fatal(err)
		}
		r.clock.Advance(time.Hour)
		if _, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: "back", Stage: handoff.StageRecycled, Reason: "No budget before Q1"}, policy, r.clock.Now(), handoff.ActorAPI); err != nil {
			t.Fatal(err)
		}
		drain(t, r.disp)
		first, _ := s.ChatPosts(ctx, l.ID)
		if len(first) != 1 {
			t.Fatalf("posts = %+v", first)
		}

		r.clock.Advance(3 * 24 * time.Hour)
		back := r.clock.Now()
		if _, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: "back", Stage: handoff.StageSQL}, policy, back, handoff.ActorAPI); err != nil {
			t.Fatal(err)
		}
		drain(t, r.disp)
		calls := r.slack.Calls("chat.postMessage")
		var cards []string
		for _, c := range calls {
			if c.Param("channel") == "CSALES" {
				cards = append(cards, c.Param("blocks"))
			}
		}
		if len(cards) != 2 || !strings.Contains(cards[1], bot.ActionClaim) || !strings.Contains(cards[1], "New SQL") {
			t.Fatalf("sales channel got %d cards, want a second one with Claim: %v", len(cards), cards)
		}
		old := lastUpdate(r.slack, first[0].MessageID)
		if !strings.Contains(old, "Came back as an SQL") || !strings.Contains(old, bot.NewCardWords) || !strings.Contains(old, "in the sales channel") ||
			!strings.Contains(old, "No budget before Q1") || strings.Contains(old, bot.ActionClaim) || strings.Contains(old, "claim it") {
			t.Fatalf("the first card was last updated to %q; want it to say that the lead came back, to see its new card, and why it had left, without Claim", old)
		}
		firstUpdates := updatesOf(r.slack, first[0].MessageID)
		posts, _ := s.ChatPosts(ctx, l.ID)
		if len(posts) != 1 || posts[0].MessageID == first[0].MessageID || posts[0].SQLAt == nil || !posts[0].SQLAt.Equal(back) {
			t.Fatalf("card after the return = %+v, want the new post for SQL time %s", posts, back)
		}
		others, _ := s.LeadMessages(ctx, l.ID)
		var earlier []handoff.ChatPost
		for _, o := range others {
			if o.Kind == handoff.PostEarlierCard {
				earlier = append(earlier, o)
			}
		}
		if len(earlier) != 1 || earlier[0].MessageID != first[0].MessageID || earlier[0].Channel != "CSALES" {
			t.Fatalf("earlier cards = %+v, want the first card kept", earlier)
		}

		lead, err := s.Lead(ctx, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !lead.Owner.IsZero() || lead.ClaimedAt != nil || lead.SLABreached || !lead.SQLAt.Equal(back) ||
			!lead.ClaimDueAt.Equal(policy.ClaimDue(back)) || !lead.ContactDueAt.Equal(policy.ContactDue(back)) {
			t.Fatalf("SLA clock after the return = %+v, want restarted at %s", lead, back)
		}

		// A replayed announcement posts nothing more; a claim updates the new card.
		if err := s.Enqueue(ctx, r.clock.Now(), handoff.OutboxMessage{Kind: handoff.OutboxAnnounceLead, LeadID: l.ID}); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Act(ctx, actor("UB"), bot.ActionClaim, fmt.Sprint(l.ID)); err != nil {
			t.Fatalf("claim of the returned lead: %v", err)
		}
		drain(t, r.disp)
		if n := postsTo(r.slack.Calls("chat.postMessage"), "CSALES"); n != 2 {
			t.Fatalf("cards after a replay = %d, want 2", n)
		}
		updates := r.slack.Calls("chat.update")
		last := updates[len(updates)-1]
		if last.Param("ts") != posts[0].MessageID || !strings.Contains(last.Param("text"), "<@UB>") {
			t.Fatalf("last update = %s %q, want the new card claimed by UB", last.Param("ts"), last.Param("text"))
		}
		// The first card, which says nothing the claim made false, is not
		// updated for it.
		if n := updatesOf(r.slack, first[0].MessageID); n != firstUpdates {
			t.Errorf("the first card was updated %d times after the claim of the new one (was %d); want it left as it was", n, firstUpdates)
		}
	})
}

// lastUpdate is the text and blocks of the last chat.update of message ts
// that the fake Slack received, "" when none.
func lastUpdate(fake *slacktest.Server, ts string) string {
	last := ""
	for _, c := range fake.Calls("chat.update") {
		if c.Param("ts") == ts {
			last = c.Param("text") + c.Param("blocks")
		}
	}
	return last
}

// updatesOf counts the chat.update calls of message ts.
func updatesOf(fake *slacktest.Server, ts string) int {
	n := 0
	for _, c := range fake.Calls("chat.update") {
		if c.Param("ts") == ts {
			n++
		}
	}
	return n
}

// leaveAndComeBack has lead ext leave sales at leave with a return to
// marketing for reason and come back as an SQL three days later, each
// change's chat work drained; it returns when the lead came back.
func leaveAndComeBack(t *testing.T, r *rig, d *outbox.Dispatcher, ext, reason string) time.Time {
	t.Helper()
	ctx, policy := context.Background(), handoff.DefaultPolicy()
	r.clock.Advance(time.Hour)
	if _, err := r.store.SaveLead(ctx, handoff.LeadInput{ExternalID: ext, Stage: handoff.StageRecycled, Reason: reason}, policy, r.clock.Now(), handoff.ActorAPI); err != nil {
		t.Fatal(err)
	}
	drain(t, d)
	r.clock.Advance(3 * 24 * time.Hour)
	back := r.clock.Now()
	if _, err := r.store.SaveLead(ctx, handoff.LeadInput{ExternalID: ext, Stage: handoff.StageSQL}, policy, back, handoff.ActorAPI); err != nil {
		t.Fatal(err)
	}
	drain(t, d)
	return back
}

// A lead that comes back twice: each return updates the card it replaces,
// which then says why the lead had left that time; the first card keeps
// saying the first return, which stays true, and is not updated again.
func TestDispatchLeadComesBackTwice(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s)
		l := saveLead(t, s, "twice")
		drain(t, r.disp)
		cards := func() []handoff.ChatPost {
			posts, err := s.ChatPosts(ctx, l.ID)
			if err != nil || len(posts) != 1 {
				t.Fatalf("cards = %+v, %v; want one", posts, err)
			}
			return posts
		}
		first := cards()[0].MessageID
		leaveAndComeBack(t, r, r.disp, "twice", "No budget before Q1")
		second := cards()[0].MessageID
		firstUpdates := updatesOf(r.slack, first)
		leaveAndComeBack(t, r, r.disp, "twice", "Chose to build it themselves")
		third := cards()[0].MessageID
		if first == second || second == third || first == third {
			t.Fatalf("cards %s, %s, %s; want a new card at each return", first, second, third)
		}
		if got := lastUpdate(r.slack, first); updatesOf(r.slack, first) != firstUpdates || !strings.Contains(got, "No budget before Q1") ||
			strings.Contains(got, "Chose to build") {
			t.Errorf("the first card updated %d times after the second return (was %d), last to %q; want it left saying the first return",
				updatesOf(r.slack, first), firstUpdates, got)
		}
		if got := lastUpdate(r.slack, second); !strings.Contains(got, "Came back as an SQL") || !strings.Contains(got, "Chose to build it themselves") ||
			strings.Contains(got, "No budget") || strings.Contains(got, bot.ActionClaim) {
			t.Errorf("the second card was last updated to %q; want it to say the second return and why the lead had left then", got)
		}
		if got := lastUpdate(r.slack, third); got != "" {
			t.Errorf("the newest card was updated to %q; want it as posted, with Claim", got)
		}
	})
}

// On Teams a lead that comes back has its earlier card's activity updated
// through the Bot Connector to say so, as on Slack.
func TestDispatchLeadComesBackOnTeams(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		bf := teamstest.New(t)
		r := &rig{store: s, clock: testkit.NewClock(t0)}
		disp := teamsSales(t, s, bf, r.clock, "teams")
		l := saveLead(t, s, "teams-back")
		drain(t, disp)
		first, err := s.ChatPosts(ctx, l.ID)
		if err != nil || len(first) != 1 || first[0].Platform != teams.Name {
			t.Fatalf("cards = %+v, %v; want the Teams card", first, err)
		}
		leaveAndComeBack(t, r, disp, "teams-back", "No budget before Q1")
		updated := ""
		for _, c := range bf.Calls() {
			if c.Op == "update" && c.ActivityID == first[0].MessageID {
				body, err := json.Marshal(c.Body)
				if err != nil {
					t.Fatal(err)
				}
				updated = string(body)
			}
		}
		if created := teamsCards(bf); created != 2 || !strings.Contains(updated, "Came back as an SQL") || !strings.Contains(updated, "see its new card in the sales channel") ||
			!strings.Contains(updated, "No budget before Q1") || strings.Contains(updated, bot.ActionClaim) {
			t.Fatalf("%d cards created, the first card's activity last updated to %s; want a new card and the first one saying the lead came back, to see its new card, without Claim",
				created, updated)
		}
	})
}

// A lead erased after it came back never has its personal data put back
// on its earlier card: erased before the card's update is sent, the card
// shows the erased view; erased while the update is on its way, with
// another replica running the erasure's chat work before the update
// reaches Slack, the card is updated again, to the erased view.
func TestEarlierCardOfAnErasedLead(t *testing.T) {
	tests := []struct {
		name   string
		during bool // the erasure runs while the earlier card's update is on its way
	}{
		{"erased before the update", false},
		{"erased during the update", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			storagetest.Each(t, func(t *testing.T, s *storage.Store) {
				ctx, policy := context.Background(), handoff.DefaultPolicy()
				r := newRig(t, s)
				const ext = "erased-back"
				l := saveLead(t, s, ext)
				drain(t, r.disp)
				first, err := s.ChatPosts(ctx, l.ID)
				if err != nil || len(first) != 1 {
					t.Fatalf("cards = %+v, %v", first, err)
				}
				r.clock.Advance(time.Hour)
				if _, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: ext, Stage: handoff.StageRecycled, Reason: "Ann's budget is frozen"}, policy, r.clock.Now(), handoff.ActorAPI); err != nil {
					t.Fatal(err)
				}
				drain(t, r.disp)

				second := r.dispatcher("replica-2")
				var armed, erased atomic.Bool
				forget := func() {
					if err := s.ForgetLead(ctx, ext, policy, r.clock.Now()); err != nil {
						t.Error(err)
					}
					drain(t, second) // the erasure's chat work, before the update reaches Slack
					erased.Store(true)
				}
				d := dispatcherAt(r, hookedSlackCalls(t, r, func(method string, body []byte) {
					if method == "chat.update" && bytes.Contains(body, []byte(first[0].MessageID)) && armed.CompareAndSwap(true, false) {
						forget()
					}
				}), "replica-1", time.Minute)
				r.clock.Advance(3 * 24 * time.Hour)
				if _, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: ext, Stage: handoff.StageSQL}, policy, r.clock.Now(), handoff.ActorAPI); err != nil {
					t.Fatal(err)
				}
				if tt.during {
					armed.Store(true)
				} else {
					if _, err := d.RunOnce(ctx); err != nil { // the new card, which queues the earlier card's update
						t.Fatal(err)
					}
					forget()
				}
				drain(t, d)
				drain(t, second)
				if !erased.Load() {
					t.Fatal("the lead was not erased")
				}
				if got := lastUpdate(r.slack, first[0].MessageID); got == "" || strings.Contains(got, l.Company) || strings.Contains(got, "Ann") {
					t.Fatalf("the earlier card of the erased lead was last updated to %q; want the erased view", got)
				}
			})
		})
	}
}
