package outbox_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/handoff/handoff/bot/outbox"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestDispatchChannelBackQueuesWhatItRefused: a card Slack refused while
// the bot was out of the sales channel is queued again when the app is
// back there, not when it is back in another channel, and is then posted
// once; the managers' note said it would be, and is updated to say it is.
func TestDispatchChannelBackQueuesWhatItRefused(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s)
		disp := outbox.New(r.managersConfig("w1"))
		r.slack.RemoveBot("CSALES")
		l := saveLead(t, s, "refused-back")
		drain(t, disp)
		if st := outboxStatus(t, s); st.Dead != 1 || len(r.slack.Messages("CMGR")) != 1 {
			t.Fatalf("outbox = %+v, managers' notes %d; want the card dead and the managers told", st, len(r.slack.Messages("CMGR")))
		}
		if blocks, _ := json.Marshal(r.slack.Messages("CMGR")[0].Blocks); !strings.Contains(string(blocks), "The card is posted by itself") {
			t.Fatalf("managers' note = %s, want it to say the card is posted by itself once the app is back", blocks)
		}
		r.slack.InviteBot("CSALES")
		disp.ChannelBack(ctx, "slack", "CMGR")
		drain(t, disp)
		if st := outboxStatus(t, s); st.Dead != 1 || len(r.slack.Messages("CSALES")) != 0 {
			t.Fatalf("after the app is back in another channel: outbox = %+v, cards %d; want the card still dead", st, len(r.slack.Messages("CSALES")))
		}
		disp.ChannelBack(ctx, "slack", "CSALES")
		drain(t, disp)
		cards := r.slack.Messages("CSALES")
		if len(cards) != 1 || !strings.Contains(cards[0].Text, l.Company) {
			t.Fatalf("sales channel after the app is back = %+v, want the refused card once", cards)
		}
		if st := outboxStatus(t, s); st.Dead != 0 || st.Pending != 0 {
			t.Fatalf("outbox = %+v, want nothing dead or waiting", st)
		}
		note := r.slack.Messages("CMGR")[0]
		if note.Updates != 1 || !strings.Contains(note.Text, "In the sales channel now: "+l.Company) {
			t.Fatalf("managers' note (%d updates) = %q, want it updated to say the card is posted", note.Updates, note.Text)
		}
		disp.ChannelBack(ctx, "slack", "CSALES")
		drain(t, disp)
		if n := len(r.slack.Messages("CSALES")); n != 1 {
			t.Fatalf("sales channel has %d cards after the app is back a second time, want 1", n)
		}
	})
}

// TestDispatchPostThroughQueuesWhatTheChannelRefused: when the platform's
// word that the app is back was missed, the first post that goes through
// in the channel queues again what the channel refused: for a worker that
// starts after the refusal (it reads the places from the store) and for
// the worker that met it.
func TestDispatchPostThroughQueuesWhatTheChannelRefused(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		r := newRig(t, s)
		before := outbox.New(r.managersConfig("before"))
		r.slack.RemoveBot("CSALES")
		first := saveLead(t, s, "refused-first")
		drain(t, before)
		if st := outboxStatus(t, s); st.Dead != 1 {
			t.Fatalf("outbox = %+v, want the first card dead", st)
		}

		r.slack.InviteBot("CSALES") // and no word of it reaches Handoff
		after := outbox.New(r.managersConfig("after"))
		second := saveLead(t, s, "through-second")
		drain(t, after)
		if n, m := countCards(r, first.Company), countCards(r, second.Company); n != 1 || m != 1 {
			t.Fatalf("cards in the sales channel: %d of the refused lead, %d of the next; want 1 and 1", n, m)
		}
		if st := outboxStatus(t, s); st.Dead != 0 || st.Pending != 0 {
			t.Fatalf("outbox = %+v, want nothing dead or waiting", st)
		}

		r.slack.RemoveBot("CSALES")
		third := saveLead(t, s, "refused-third")
		drain(t, after)
		r.slack.InviteBot("CSALES")
		fourth := saveLead(t, s, "through-fourth")
		drain(t, after)
		if n, m := countCards(r, third.Company), countCards(r, fourth.Company); n != 1 || m != 1 {
			t.Fatalf("cards after the worker met the refusal itself: %d of the refused lead, %d of the next; want 1 and 1", n, m)
		}
		if st := outboxStatus(t, s); st.Dead != 0 {
			t.Fatalf("outbox = %+v, want nothing dead", st)
		}
	})
}

// countCards counts the cards in the sales channel naming company.
func countCards(r *rig, company string) int {
	n := 0
	for _, m := range r.slack.Messages("CSALES") {
		if strings.Contains(m.Text, company) {
			n++
		}
	}
	return n
}
