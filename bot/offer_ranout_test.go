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

// TestClickAfterTheOfferRanOut: a click on a lead whose offer's time is up
// before the scheduler took the routing step (it was late) takes that step
// first, so the offer's end is never late for a click: the rep whose offer
// ran out is told it moved on, the next rep's Claim is their Accept, and
// anyone else is refused by the new offer's time, not the old one.
func TestClickAfterTheOfferRanOut(t *testing.T) {
	policy := twoRepPolicy()
	for _, tc := range []struct {
		name      string
		clicker   string // "first": the rep whose offer ran out; "next": the other rep; or a user id
		wantOwner bool
		wantText  []string
	}{
		{"the rep whose offer ran out", "first", false, []string{"moved on before your click arrived", "It is offered to"}},
		{"the next rep", "next", true, nil},
		{"someone else", "UCY", false, []string{"is offered to", "until Mon 09:40"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			storagetest.Each(t, func(t *testing.T, s *storage.Store) {
				ctx := context.Background()
				id := saveSQL(t, s, "ran-out", policy)
				now := t0
				b := bot.New(bot.Config{Store: s, Policy: policy, Now: func() time.Time { return now }, Logger: quiet(),
					SalesMembers: map[string]bot.SalesMembers{"slack": outsiders{}}})
				if err := b.Route(ctx, id); err != nil {
					t.Fatal(err)
				}
				offered, err := s.Lead(ctx, id)
				if err != nil || !offered.Offer.Offered() {
					t.Fatalf("offer %+v, %v", offered.Offer, err)
				}
				first, next := offered.Offer.Rep, bo
				if first == bo {
					next = ann
				}
				clicker := map[string]string{"first": first.ID, "next": next.ID}[tc.clicker]
				if clicker == "" {
					clicker = tc.clicker
				}
				now = offered.Offer.Until.Add(10 * time.Minute) // ran out; the scheduler has not taken the step
				action := bot.ActionClaim
				if tc.clicker == "first" {
					action = bot.ActionAccept
				}
				if _, err := b.Act(ctx, actor(clicker), action, fmt.Sprint(id)); err != nil {
					t.Fatal(err)
				}
				l, err := s.Lead(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if owned := l.Owner.UserID == clicker; owned != tc.wantOwner {
					t.Fatalf("%s's click at %s on an offer that ran out at %s: owner %+v, offer %+v; want owner %v",
						clicker, now.Format(time.TimeOnly), offered.Offer.Until.Format(time.TimeOnly), l.Owner, l.Offer, tc.wantOwner)
				}
				if !tc.wantOwner && !l.Offer.OfferedTo(next) {
					t.Errorf("after the click the offer is %+v, want it offered to %s (the step taken)", l.Offer, next.ID)
				}
				said := strings.Join(notices(t, s, id, handoff.OutboxPrivate, clicker), "\n")
				for _, w := range tc.wantText {
					if !strings.Contains(said, w) {
						t.Errorf("notice to %s = %q, want it to say %q", clicker, said, w)
					}
				}
			})
		})
	}
}
