package outbox_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// A lead claimed while its card is on its way to Slack (a claim in Teams,
// a manager's reassign) ends up with a card that shows the claim. The
// claim's refresh, taken by another replica before the card was recorded,
// found no card to update, and the card stayed as it was rendered: Claim
// on a claimed lead, until the lead's next change.
func TestCardPostedDuringAClaimShowsTheClaim(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s)
		l := saveLead(t, s, "claimed-mid-post")
		second := r.dispatcher("replica-2")
		claimed := false
		first := dispatcherAt(r, slowSlack(t, r, func() {
			if claimed {
				return
			}
			claimed = true
			r.clock.Advance(time.Second)
			if _, ok, err := s.ClaimLead(ctx, l.ID, handoff.Owner{Platform: "teams", UserID: "29:ann"}, r.clock.Now(), handoff.Policy{}, "29:ann"); err != nil || !ok {
				t.Errorf("claim = %v, %v", ok, err)
			}
			drain(t, second) // takes the claim's refresh: no card yet
		}), "replica-1", time.Minute)
		drain(t, first)
		drain(t, second)

		posts, err := s.ChatPosts(ctx, l.ID)
		if err != nil || len(posts) != 1 {
			t.Fatalf("cards = %+v, %v", posts, err)
		}
		shown := "" // the card's text as posted, then as last updated
		for _, c := range r.slack.Calls("") {
			posted := c.Method == "chat.postMessage" && strings.Contains(c.Param("text"), l.Company)
			if posted || c.Method == "chat.update" && c.Param("ts") == posts[0].MessageID {
				shown = c.Param("text")
			}
		}
		if !strings.Contains(shown, "claimed by") {
			t.Fatalf("the card shows %q, want the claim", shown)
		}
	})
}
