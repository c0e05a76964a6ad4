package webhook_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// eraseAfterTake is the real store, on which an erasure (a DELETE on
// another replica, say) commits right after the sender took its messages
// and before it reads their lead.
type eraseAfterTake struct {
	*storage.Store
	externalID string
	at         time.Time
	t          *testing.T
}

func (s *eraseAfterTake) TakeWebhooks(ctx context.Context, now time.Time, limit int, lease time.Duration, worker string) ([]handoff.OutboxMessage, error) {
	msgs, err := s.Store.TakeWebhooks(ctx, now, limit, lease, worker)
	if err == nil && len(msgs) > 0 && s.externalID != "" {
		if err := s.Store.ForgetLead(ctx, s.externalID, handoff.DefaultPolicy(), s.at); err != nil {
			s.t.Fatal(err)
		}
		s.externalID = ""
	}
	return msgs, err
}

// A webhook message taken before an erasure and sent after it carries no
// personal data: neither the lead (read when sent) nor the event's free
// text (a rep's reason, which the erasure scrubs from queued messages).
func TestErasedWhileTakenSendsNoFreeText(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		snd, rcv, _ := setup(t, s, []handoff.WebhookEvent{handoff.WebhookStageChanged})
		note := "Annika asked to wait until January"
		for _, raw := range []map[string]any{
			{"external_id": "hs-9", "name": "Annika Bergström", "email": "annika@bergstrom.dk"},
			{"external_id": "hs-9", "stage": "recycled", "reason": note},
		} {
			in, err := handoff.ParseLeadInput(raw, t0)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.SaveLead(ctx, in, handoff.DefaultPolicy(), t0, "marketing"); err != nil {
				t.Fatal(err)
			}
		}
		snd.Store = &eraseAfterTake{Store: s, externalID: "hs-9", at: t0, t: t}
		if _, err := snd.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		got, _, _ := rcv.Got()
		if len(got) == 0 {
			t.Fatal("nothing delivered")
		}
		for _, d := range got {
			if b := strings.ToLower(fmt.Sprint(d.Body)); strings.Contains(b, "annika") {
				t.Errorf("sent after the erasure: %v", d.Body)
			}
		}
	})
}
