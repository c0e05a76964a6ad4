package outbox_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// A lead recycled back to marketing that later arrives as an SQL again is
// announced anew with Claim, on a fresh SLA clock, and can be claimed.
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
	})
}
