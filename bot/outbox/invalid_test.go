package outbox_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/outbox"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// A delivery whose result the store refuses as invalid (EINVALID: here a
// card whose channel is longer than its column, as no check before the
// record would let through) is given up at once, naming what was
// refused, and the round's other outcomes are recorded; the card is not
// posted again. On both databases.
func TestRecordRefusedGivesUp(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s)
		refused := saveLead(t, s, "refused")
		kept := saveLead(t, s, "kept")
		now := r.clock.Now()
		msgs, err := s.TakeOutbox(ctx, now, 10, time.Minute, "w1")
		if err != nil {
			t.Fatal(err)
		}
		var outcomes []handoff.OutboxOutcome
		for _, m := range msgs {
			o := handoff.OutboxOutcome{Message: m, At: now, Result: "posted"}
			if m.LeadID == refused.ID && m.Kind == handoff.OutboxAnnounceLead {
				o.Posts = []handoff.ChatPost{{LeadID: refused.ID, Platform: "slack", Channel: ofLen("C", handoff.MaxChatIDLen+1), MessageID: "1.1"}}
			}
			outcomes = append(outcomes, o)
		}
		r.disp.Record(ctx, outcomes...)
		m := messageOf(t, s, refused.ID, handoff.OutboxAnnounceLead)
		if m.Status != storage.OutboxDead || !strings.Contains(m.LastError, "the store refused its result") || !strings.Contains(m.LastError, "channel is longer than") {
			t.Errorf("refused card: %s, last error %q; want dead, naming the channel refused", m.Status, m.LastError)
		}
		if k := messageOf(t, s, kept.ID, handoff.OutboxAnnounceLead); k.Status != storage.OutboxDone {
			t.Errorf("the other card: %s, want done", k.Status)
		}
		r.clock.Advance(time.Hour) // past any lease and retry
		drain(t, r.disp)
		if n := postsOf(r.slack.Calls("chat.postMessage"), "refused"); n != 0 {
			t.Errorf("the refused card was posted %d times again, want none", n)
		}
	})
}

// The store's own refusal of a value (EINVALID) makes a delivery's error
// permanent; a store that lost its database is retried. On both
// databases.
func TestStoreRefusalIsPermanent(t *testing.T) {
	for _, d := range storagetest.Dialects {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			for _, tt := range []struct {
				name      string
				store     *storage.Store
				key       string
				permanent bool
			}{
				// A rep key longer than its column: refused, on both databases.
				{"refused", storagetest.Open(t, d), "slack:" + strings.Repeat("U", 400), true},
				{"database gone", storagetest.Closed(t, d), "slack:U1", false},
			} {
				err := tt.store.SetAway(ctx, tt.key, handoff.Away{}, t0)
				if err == nil {
					t.Fatalf("%s: the store kept it", tt.name)
				}
				if got := bot.IsPermanent(outbox.RefusedIsPermanent(err)); got != tt.permanent {
					t.Errorf("%s (%v): permanent = %v, want %v", tt.name, err, got, tt.permanent)
				}
			}
		})
	}
}
