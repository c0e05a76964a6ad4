package outbox_test

import (
	"context"
	"strings"
	"testing"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// A lead erased while the app is out of the sales channel: Slack refuses
// the update of its card (not_in_channel), which still shows the person.
// The erasure is not counted done with the card unchanged: it is given up
// as refused by the channel and runs again when the app is back there, so
// the card then shows the anonymous view.
func TestEraseRefusedByTheChannelRunsWhenTheAppIsBack(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s)
		l := saveLead(t, s, "erase-refused")
		drain(t, r.disp)
		if cards := r.slack.Messages("CSALES"); len(cards) != 1 || !strings.Contains(cards[0].Text, l.Company) {
			t.Fatalf("sales channel = %+v, want the lead's card", cards)
		}
		r.slack.RemoveBot("CSALES")
		if err := s.ForgetLead(ctx, "erase-refused", handoff.DefaultPolicy(), r.clock.Now()); err != nil {
			t.Fatal(err)
		}
		drain(t, r.disp)
		if st := outboxStatus(t, s); st.Dead != 1 {
			t.Fatalf("outbox = %+v, want the erasure given up while the channel refuses it", st)
		}
		r.slack.InviteBot("CSALES")
		r.disp.ChannelBack(ctx, "slack", "CSALES")
		drain(t, r.disp)
		card := r.slack.Messages("CSALES")[0]
		if strings.Contains(card.Text, l.Company) || card.Updates == 0 {
			t.Fatalf("card after the app is back (%d updates) = %q, want the anonymous view", card.Updates, card.Text)
		}
		if st := outboxStatus(t, s); st.Dead != 0 || st.Pending != 0 {
			t.Fatalf("outbox = %+v, want nothing dead or waiting", st)
		}
	})
}
