package hubspot_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/outbox"
	slackbot "github.com/handoff/handoff/bot/slack"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/internal/testkit"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// An SQL whose contact is deleted in HubSpot before anyone claimed it and
// restored later (signed contact.deletion and contact.restore through the
// handler) is posted again on a new card with Claim, and the card of its
// deletion, which said "deleted in HubSpot", is updated through Slack's
// chat.update to say that the lead came back and to see its new card,
// still naming the deletion, without Claim.
func TestHubSpotRestoredSQLUpdatesTheDeletionsCard(t *testing.T) {
	sent, deleted, restored := now.Add(-5*time.Hour), now.Add(-3*time.Hour), now.Add(-time.Hour)
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		srv, post := clockedServer(t, s, sent)
		fake := slacktest.New("xoxb-test")
		t.Cleanup(fake.Close)
		disp := outbox.New(outbox.Config{Store: s, Policy: handoff.DefaultPolicy(), Logger: testkit.Quiet(), Worker: "w", Lease: time.Minute,
			Targets: []bot.Target{{Platform: slackbot.NewPlatform(slackbot.NewClient("xoxb-test", "", fake.APIURL(), slacktest.ClientTimeout)), SalesChannel: "CSALES"}},
			Now:     func() time.Time { return time.UnixMilli(srv.clock.Load()).UTC() }})

		post(sqlContact(880, sent.Add(-time.Minute)))
		testkit.Drain(t, disp)
		lead, err := s.LeadByExternalID(ctx, "880")
		if err != nil {
			t.Fatal(err)
		}
		first, err := s.ChatPosts(ctx, lead.ID)
		if err != nil || len(first) != 1 {
			t.Fatalf("cards = %+v, %v; want the SQL's card", first, err)
		}
		srv.clock.Store(deleted.UnixMilli())
		post("[" + contactEvent("contact.deletion", 880, deleted) + "]")
		testkit.Drain(t, disp)
		srv.clock.Store(restored.UnixMilli())
		if ans := post("[" + contactEvent("contact.restore", 880, restored) + "]"); ans["leads"].([]any)[0].(map[string]any)["reopened"] != true {
			t.Fatalf("restore answered %v, want the lead reopened", ans)
		}
		testkit.Drain(t, disp)

		cards, err := s.ChatPosts(ctx, lead.ID)
		if err != nil || len(cards) != 1 || cards[0].MessageID == first[0].MessageID {
			t.Fatalf("cards after the restore = %+v, %v; want a new one", cards, err)
		}
		var old string
		for _, m := range fake.Messages("CSALES") {
			switch m.TS {
			case first[0].MessageID:
				old = m.Text + blocksJSON(t, m.Blocks)
			case cards[0].MessageID:
				if !strings.Contains(blocksJSON(t, m.Blocks), bot.ActionClaim) {
					t.Errorf("the restored SQL's new card has no Claim: %v", m.Blocks)
				}
			}
		}
		if !strings.Contains(old, "Came back as an SQL") || !strings.Contains(old, bot.NewCardWords) || !strings.Contains(old, "in the sales channel") ||
			!strings.Contains(old, handoff.HubSpotDeletedReason) || strings.Contains(old, bot.ActionClaim) {
			t.Fatalf("the deletion's card shows %q; want it to say that the lead came back and to see its new card, the deletion's reason kept, without Claim", old)
		}
	})
}

// blocksJSON is blocks as JSON, for what they say.
func blocksJSON(t *testing.T, blocks []map[string]any) string {
	t.Helper()
	b, err := json.Marshal(blocks)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
