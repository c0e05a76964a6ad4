package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/bot/teams/teamstest"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestRefusedCardsQueuedAgainEndToEnd runs handoff serve on Slack and
// Teams with the bot out of the Slack sales channel and the app out of the
// Teams team: the new SQL's card is refused on both and given up. When Slack
// says the bot was invited back (member_joined_channel), the Slack card is
// queued again by itself and posted, while the Teams one stays dead until
// the app is added back to the team; then it is posted too, and nothing is
// left dead, without anyone running handoff outbox retry.
func TestRefusedCardsQueuedAgainEndToEnd(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			e, slack, bf := startWithCardsRefused(t, dialect)
			slack.InviteBot(e2eSales)
			e.srv.slackSend(t, "/slack/events", slacktest.ChannelEvent("EvE2EBack", "member_joined_channel", slacktest.BotUserID, e2eSales))
			e.chatPost(1, "slack")
			if cards := slack.Messages(e2eSales); len(cards) != 1 || !strings.Contains(cards[0].Text, "Refused Again ApS") {
				t.Fatalf("Slack sales channel once the bot is back = %+v, want the card once", cards)
			}
			e.waitDeadCards("the Teams card, its team still without the app", map[string]string{"teams": "BotNotInConversationRoster"})

			bf.Refuse(teamsSalesID, 0, "")
			if status, body := e.post(e.team().Installed(), e.token()); status != 200 {
				t.Fatalf("app added back: HTTP %d %s", status, body)
			}
			e.waitCalls("the Teams card once the app is back", 1, e2ePatience, postedTo(teamsSalesID))
			e.chatPost(1, "teams")
			e.waitDeadCards("nothing", nil)
		})
	}
}

// startWithCardsRefused runs handoff serve on Slack and Teams with the bot
// out of the Slack sales channel and the app out of the Teams team, and
// returns once the card of a new SQL from "Refused Again ApS" has been
// refused on both and given up.
func startWithCardsRefused(t *testing.T, dialect string) (*teamsE2E, *slacktest.Server, *teamstest.Server) {
	t.Helper()
	bf := teamstest.New(t)
	slack := slacktest.New(e2eToken)
	t.Cleanup(slack.Close)
	e := startTeams(t, bf, slackAndTeamsVars(t, dialect, bf, slack))
	e.install()
	slack.RemoveBot(e2eSales)
	bf.Refuse(teamsSalesID, 403, "BotNotInConversationRoster")
	e.srv.postLead(t, `{"external_id":"back-1","name":"Ann Berg","company":"Refused Again ApS","score":80}`)
	e.waitDeadCards("the cards refused on both platforms", map[string]string{
		"slack": "not_in_channel", "teams": "BotNotInConversationRoster"})
	return e, slack, bf
}

// waitDeadCards waits (up to e2ePatience) until the dead cards are those
// of want, platform → a text of its error, and fails naming what with
// what is dead instead.
func (e *teamsE2E) waitDeadCards(what string, want map[string]string) {
	e.t.Helper()
	var dead []handoff.OutboxMessage
	for deadline := time.Now().Add(e2ePatience); ; time.Sleep(20 * time.Millisecond) {
		var err error
		if dead, err = e.store.DeadOutbox(context.Background(), 0); err != nil {
			e.t.Fatal(err)
		}
		got := map[string]string{}
		for _, m := range dead {
			if m.Kind == handoff.OutboxAnnounceLead {
				got[m.Platform] = m.LastError
			}
		}
		match := len(got) == len(want)
		for platform, text := range want {
			match = match && strings.Contains(got[platform], text)
		}
		if match {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("dead cards: want %s (%v), have %+v", what, want, dead)
		}
	}
}
