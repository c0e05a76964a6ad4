package bot_test

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

// A manager's reassign of an offered lead ends the offer as a claim does,
// and refunds it (the offered rep never got the lead): once released, any
// rep may claim it, not only the rep it was offered to.
func TestReassignEndsTheOffer(t *testing.T) {
	policy := twoRepPolicy()
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		id := saveSQL(t, s, "reassigned", policy)
		now := t0
		b := bot.New(bot.Config{Store: s, Policy: policy, Now: func() time.Time { return now }, Logger: quiet(),
			Managers:     map[string]bot.Managers{"slack": managerList{"UBOSS": true}},
			SalesMembers: map[string]bot.SalesMembers{"slack": outsiders{}}})
		if err := b.Route(ctx, id); err != nil {
			t.Fatal(err)
		}
		offered, err := s.Lead(ctx, id)
		if err != nil || !offered.Offer.Offered() {
			t.Fatalf("offer %+v, %v", offered.Offer, err)
		}
		other := bo
		if offered.Offer.Rep == bo {
			other = ann
		}
		now = t0.Add(2 * time.Minute)
		if _, err := b.Reassign(ctx, actor("UBOSS"), id, "UCY"); err != nil {
			t.Fatal(err)
		}
		reassigned, err := s.Lead(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if reassigned.Offer.Offered() {
			t.Errorf("after the reassign the lead is still offered: %+v", reassigned.Offer)
		}
		// The offered rep never got the lead: their offer is refunded.
		credits, err := s.RepCredits(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range credits {
			if v != 0 {
				t.Errorf("after the reassign the balance of %s is %d, want 0 as before the offer", k, v)
			}
		}
		msgs, err := s.OutboxMessages(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		dms := 0
		for _, m := range msgs {
			if m.Kind == handoff.OutboxOffer && strings.Contains(m.Payload, offered.Offer.Rep.ID) {
				dms++
			}
		}
		if dms < 2 {
			t.Errorf("the offered rep's direct message was not updated on the reassign: %d offer messages", dms)
		}
		now = t0.Add(30 * time.Minute)
		if _, err := b.Release(ctx, actor("UBOSS"), id); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Act(ctx, actor(other.ID), bot.ActionClaim, fmt.Sprint(id)); err != nil {
			t.Fatal(err)
		}
		l, err := s.Lead(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if l.Owner.UserID != other.ID {
			t.Errorf("after the reassign and release, %s's Claim: owner %+v, offer %+v; notices %q", other.ID, l.Owner, l.Offer,
				strings.Join(notices(t, s, id, handoff.OutboxPrivate, other.ID), "\n"))
		}
	})
}
