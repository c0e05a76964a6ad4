package outbox_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot/outbox"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestDispatchPostedAtLastNoteWaitsOutARateLimit: the update of the
// managers' note that a card given up is posted at last waits, like every
// other update, until the Retry-After Slack gave a chat.update is over; it
// is not sent into the limit.
func TestDispatchPostedAtLastNoteWaitsOutARateLimit(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s)
		disp := outbox.New(r.managersConfig("w1"))
		other := saveLead(t, s, "posted")
		drain(t, disp)
		r.slack.RemoveBot("CSALES")
		l := saveLead(t, s, "given-up")
		drain(t, disp)
		if n := len(r.slack.Messages("CMGR")); n != 1 {
			t.Fatalf("managers' channel has %d notes, want the card given up", n)
		}

		// The bot is back and the card retried; a refresh of the other
		// card, in the same round, is rate-limited for 30 s.
		r.slack.InviteBot("CSALES")
		r.slack.FailNext("chat.update", 1, http.StatusTooManyRequests, 30)
		if err := s.Enqueue(ctx, r.clock.Now(), handoff.OutboxMessage{Kind: handoff.OutboxRefreshLead, LeadID: other.ID}); err != nil {
			t.Fatal(err)
		}
		if n, err := s.RetryDeadOutbox(ctx, r.clock.Now()); err != nil || n != 1 {
			t.Fatalf("retry = %d, %v", n, err)
		}
		drain(t, disp)
		if n := len(r.slack.Calls("chat.update")); n != 1 {
			t.Fatalf("chat.update called %d times within Slack's Retry-After of 30 s, want once (the rate-limited refresh)", n)
		}

		r.clock.Advance(30 * time.Second)
		drain(t, disp)
		note := r.slack.Messages("CMGR")[0]
		if note.Updates != 1 || !strings.Contains(note.Text, "In the sales channel now: "+l.Company) {
			t.Fatalf("note after the wait (%d updates) = %q, want it updated to say the card is posted", note.Updates, note.Text)
		}
	})
}
