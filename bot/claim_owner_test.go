package bot_test

import (
	"context"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// deliveriesSeen is the store, noting the deliveries that EnqueueOnce is
// asked to record without messages.
type deliveriesSeen struct {
	*storage.Store
	alone []handoff.Delivery
}

func (s *deliveriesSeen) EnqueueOnce(ctx context.Context, now time.Time, once handoff.Delivery, msgs ...handoff.OutboxMessage) error {
	if len(msgs) == 0 {
		s.alone = append(s.alone, once)
	}
	return s.Store.EnqueueOnce(ctx, now, once, msgs...)
}

// The owner's Claim again changes nothing: on a platform that may deliver
// it again (a Teams activity, with its Delivery) its delivery is recorded
// alone, so that delivered again after a release it claims nothing
// (TestTeamsClaimDeliveredAgain); a Slack click, without one, asks the
// store for nothing more.
func TestOwnersClaimAgainRecordsItsDelivery(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		store := &deliveriesSeen{Store: s}
		b := bot.New(bot.Config{Store: store, Policy: handoff.DefaultPolicy(), Now: func() time.Time { return t0.Add(time.Hour) }, Logger: quiet()})
		tests := []struct {
			name string
			who  bot.Actor
			want []handoff.Delivery
		}{
			{"Slack", actor("URITA"), nil},
			{"Teams", bot.Actor{Platform: "teams", UserID: "29:rita", Channel: "19:sales", Delivery: "again-1"},
				[]handoff.Delivery{{Source: "teams", Key: "again-1"}}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				l := saveLead(t, s, "owner-again-"+tt.name)
				first := tt.who
				first.Delivery = ""
				if err := b.Claim(ctx, first, l.ID); err != nil {
					t.Fatal(err)
				}
				store.alone = nil
				if err := b.Claim(ctx, tt.who, l.ID); err != nil {
					t.Fatal(err)
				}
				if len(store.alone) != len(tt.want) || len(tt.want) > 0 && store.alone[0] != tt.want[0] {
					t.Fatalf("deliveries recorded alone: %v, want %v", store.alone, tt.want)
				}
			})
		}
	})
}
