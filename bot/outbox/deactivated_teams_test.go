package outbox_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/outbox"
	"github.com/handoff/handoff/bot/teams"
	"github.com/handoff/handoff/bot/teams/teamstest"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// With a managers' channel in Teams too, the note about a deactivated rep
// is posted there as well, and a claim of a lead it names updates the
// note's activity through the Bot Connector, as it updates Slack's
// (TestDeactivatedNoteFollowsTheManagersActions): the claim's refresh
// renders the notes of every platform again. A refresh that changes
// nothing the note shows updates neither.
func TestDeactivatedNoteFollowsAClaimOnTeams(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		const managers = "19:managers@thread.tacv2"
		r, _, b := managersRig(t, s)
		bf := teamstest.New(t)
		if err := s.SaveTeamsConversation(ctx, handoff.TeamsConversation{ConversationID: managers, ChannelID: managers, ChannelName: "Managers",
			ServiceURL: bf.ServiceURL(), TenantID: "t1", BotID: "28:" + teamstest.AppID}, t0); err != nil {
			t.Fatal(err)
		}
		cfg := r.managersConfig("w")
		target := teamsTarget(t, s, bf)
		target.ManagerChannel = managers
		cfg.Targets = append(cfg.Targets, target)
		disp := outbox.New(cfg)
		r.disp = disp
		back := claimedBy(t, s, r, b, "UREP1", "back-1")
		r.clock.Advance(time.Second)
		if err := b.RepChanged(ctx, bot.RepChange{Platform: "slack", UserID: "UREP1", Deleted: true}); err != nil {
			t.Fatal(err)
		}
		drain(t, disp)
		note := teamsNoteOf(t, s, back)
		if posted := teamsBodies(bf, "create", managers, ""); len(posted) != 1 || !strings.Contains(posted[0], "back in the sales channel with Claim") {
			t.Fatalf("notes posted in Teams' managers' channel: %q, want one with the lead to claim", posted)
		}

		if err := b.Claim(ctx, actor("UBO"), back); err != nil {
			t.Fatal(err)
		}
		drain(t, disp)
		updates := teamsBodies(bf, "update", managers, note.MessageID)
		if len(updates) != 1 {
			t.Fatalf("the Teams note's activity was updated %d times after the claim, want once", len(updates))
		}
		if got := updates[0]; !strings.Contains(got, "Company back-1") || !strings.Contains(got, "was claimed by") || strings.Contains(got, "with Claim") {
			t.Errorf("the Teams note was updated to %s\nwant the lead claimed since, without Claim", got)
		}
		if slack := deactivatedNoteIn(t, r.slack); slack.Updates != 1 {
			t.Errorf("the Slack note was updated %d times, want once", slack.Updates)
		}

		if err := s.Enqueue(ctx, r.clock.Now(), handoff.OutboxMessage{Kind: handoff.OutboxRefreshLead, LeadID: back}); err != nil {
			t.Fatal(err)
		}
		drain(t, disp)
		if n := len(teamsBodies(bf, "update", managers, note.MessageID)); n != 1 {
			t.Errorf("a refresh that changed nothing the note shows updated it in Teams: %d updates, want 1", n)
		}
	})
}

// teamsNoteOf returns lead id's record of its note about a deactivated
// rep in Teams.
func teamsNoteOf(t *testing.T, s *storage.Store, id int64) handoff.ChatPost {
	t.Helper()
	msgs, err := s.LeadMessages(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.Kind == handoff.PostDeactivated && m.Platform == teams.Name {
			return m
		}
	}
	t.Fatalf("lead %d has no note in Teams: %+v", id, msgs)
	return handoff.ChatPost{}
}

// teamsBodies returns the bodies, as JSON, of the Bot Connector calls of
// op the stand-in Teams received in conversation (and of activity, when
// set), in order.
func teamsBodies(bf *teamstest.Server, op, conversation, activity string) []string {
	var out []string
	for _, c := range bf.Calls() {
		if c.Op != op || !strings.HasPrefix(c.ConversationID, conversation) || (activity != "" && c.ActivityID != activity) {
			continue
		}
		raw, _ := json.Marshal(c.Body)
		out = append(out, string(raw))
	}
	return out
}
