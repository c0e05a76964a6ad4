package handlers_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/outbox"
	slackbot "github.com/handoff/handoff/bot/slack"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/internal/testkit"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// A lead lost through the API, dated by its occurred_at (11:00) and sent
// at 14:00, has its card in the sales channel (a stand-in Slack) say
// "Closed Fri 11:00", when it was lost as its history dates it, and a pricing
// page view posted at 15:00, which rescores the lost lead and re-renders
// its card, leaves that line: the card shows the new score, still closed
// at 11:00. Times are the default agreement's, UTC, on Friday 20 November.
func TestClosedCardKeepsItsTimeThroughLaterUpdates(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		clock := now.Add(-2 * time.Hour) // 07:00: an SQL through the agreement's scoring
		p := scoringPolicy()
		srv := scoringServer(t, s, p, &clock)
		fake := slacktest.New(slackToken)
		t.Cleanup(fake.Close)
		disp := outbox.New(outbox.Config{Store: s, Policy: p, Logger: discardLogger(), Now: func() time.Time { return clock },
			Targets: []bot.Target{{Platform: slackbot.NewPlatform(slackbot.NewClient(slackToken, "", fake.APIURL(), slacktest.ClientTimeout)), SalesChannel: salesChannel}}})
		card := func() string {
			t.Helper()
			testkit.Drain(t, disp)
			msgs := fake.Messages(salesChannel)
			if len(msgs) != 1 {
				t.Fatalf("sales channel holds %d messages, want the lead's card", len(msgs))
			}
			blocks, err := json.Marshal(msgs[0].Blocks)
			if err != nil {
				t.Fatal(err)
			}
			return msgs[0].Text + string(blocks)
		}
		if a := post(t, srv, `{"external_id":"cl-1","name":"Ann","company":"Berg ApS","title":"CTO","stage":"sql"}`); a.status != 201 {
			t.Fatalf("new SQL = %d %v", a.status, a.body)
		}
		card()
		clock = now.Add(5 * time.Hour) // 14:00
		if a := post(t, srv, `{"external_id":"cl-1","stage":"lost","reason":"Chose a rival","occurred_at":"2026-11-20T11:00:00Z"}`); a.status != 200 {
			t.Fatalf("loss = %d %v", a.status, a.body)
		}
		lost := card()
		updates := len(fake.Calls("chat.update"))
		if !strings.Contains(lost, "Closed Fri 11:00") || !strings.Contains(lost, "Chose a rival") {
			t.Errorf("the lost lead's card does not say %q with its reason: %s", "Closed Fri 11:00", lost)
		}
		clock = now.Add(6 * time.Hour) // 15:00
		if a := postActivities(t, srv, "cl-1", `{"id":"pv-1","type":"page_view","url":"https://berg.dk/pricing","occurred_at":"2026-11-20T14:30:00Z"}`); a.status != 200 {
			t.Fatalf("activity = %d %v", a.status, a.body)
		}
		rescored := card()
		if len(fake.Calls("chat.update")) == updates {
			t.Fatal("the rescore did not re-render the card")
		}
		if !strings.Contains(rescored, "Closed Fri 11:00") || strings.Contains(rescored, "14:00") || strings.Contains(rescored, "15:00") {
			t.Errorf("the rescored card does not say %q alone: %s", "Closed Fri 11:00", rescored)
		}
	})
}
