package hubspot_test

import (
	"context"
	"encoding/json"
	"strconv"
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
		srv, post := clockedServer(t, s, sent)
		disp, fake := slackSales(t, s, srv)
		lead, first := sqlCard(t, s, disp, post, 880, sent.Add(-time.Minute))
		srv.clock.Store(deleted.UnixMilli())
		post("[" + contactEvent("contact.deletion", 880, deleted) + "]")
		testkit.Drain(t, disp)
		srv.clock.Store(restored.UnixMilli())
		if ans := post("[" + contactEvent("contact.restore", 880, restored) + "]"); ans["leads"].([]any)[0].(map[string]any)["reopened"] != true {
			t.Fatalf("restore answered %v, want the lead reopened", ans)
		}
		testkit.Drain(t, disp)

		card := newCard(t, s, lead.ID, first)
		if fresh := cardNow(t, fake, card.MessageID); !strings.Contains(fresh, bot.ActionClaim) {
			t.Errorf("the restored SQL's new card has no Claim: %s", fresh)
		}
		old := cardNow(t, fake, first.MessageID)
		if !strings.Contains(old, "Came back as an SQL") || !strings.Contains(old, bot.NewCardWords) || !strings.Contains(old, "in the sales channel") ||
			!strings.Contains(old, handoff.HubSpotDeletedReason) || strings.Contains(old, bot.ActionClaim) {
			t.Fatalf("the deletion's card shows %q; want it to say that the lead came back and to see its new card, the deletion's reason kept, without Claim", old)
		}
	})
}

// slackSales is a dispatcher that delivers the chat work of store s to the
// sales channel CSALES of a stand-in Slack, on srv's clock, and that Slack.
func slackSales(t *testing.T, s *storage.Store, srv *clocked) (*outbox.Dispatcher, *slacktest.Server) {
	t.Helper()
	fake := slacktest.New("xoxb-test")
	t.Cleanup(fake.Close)
	disp := outbox.New(outbox.Config{Store: s, Policy: handoff.DefaultPolicy(), Logger: testkit.Quiet(), Worker: "w", Lease: time.Minute,
		Targets: []bot.Target{{Platform: slackbot.NewPlatform(slackbot.NewClient("xoxb-test", "", fake.APIURL(), slacktest.ClientTimeout)), SalesChannel: "CSALES"}},
		Now:     func() time.Time { return time.UnixMilli(srv.clock.Load()).UTC() }})
	return disp, fake
}

// sqlCard sends contact id as an SQL last modified at modified through
// post, delivers its card through disp and returns its lead and that card.
func sqlCard(t *testing.T, s *storage.Store, disp *outbox.Dispatcher, post func(string) map[string]any, id int, modified time.Time) (*handoff.Lead, handoff.ChatPost) {
	t.Helper()
	ctx := context.Background()
	post(sqlContact(id, modified))
	testkit.Drain(t, disp)
	lead, err := s.LeadByExternalID(ctx, strconv.Itoa(id))
	if err != nil {
		t.Fatal(err)
	}
	cards, err := s.ChatPosts(ctx, lead.ID)
	if err != nil || len(cards) != 1 {
		t.Fatalf("cards = %+v, %v; want the SQL's card", cards, err)
	}
	return lead, cards[0]
}

// newCard is the card of lead id that replaced its card first when it
// came back as an SQL.
func newCard(t *testing.T, s *storage.Store, id int64, first handoff.ChatPost) handoff.ChatPost {
	t.Helper()
	cards, err := s.ChatPosts(context.Background(), id)
	if err != nil || len(cards) != 1 || cards[0].MessageID == first.MessageID {
		t.Fatalf("cards after the return = %+v, %v; want a new one", cards, err)
	}
	return cards[0]
}

// cardNow is what message ts of the stand-in Slack's CSALES says now, its
// text and blocks; "" when it has no such message.
func cardNow(t *testing.T, fake *slacktest.Server, ts string) string {
	t.Helper()
	for _, m := range fake.Messages("CSALES") {
		if m.TS == ts {
			return m.Text + blocksJSON(t, m.Blocks)
		}
	}
	return ""
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
