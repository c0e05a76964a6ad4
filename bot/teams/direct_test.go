package teams_test

import (
	"context"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/teams"
	"github.com/handoff/handoff/bot/teams/teamstest"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// A direct message can be changed afterwards (erasing a lead updates the
// owner's DM): DirectMessage says where it went, and Update on that
// channel replaces the activity in the one-to-one chat.
func TestDirectMessageCanBeUpdated(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		bf := teamstest.New(t)
		ctx := context.Background()
		if err := s.SaveTeamsConversation(ctx, handoff.TeamsConversation{ConversationID: "19:g@thread.tacv2", ServiceURL: bf.ServiceURL(), TenantID: "t1"}, time.Now()); err != nil {
			t.Fatal(err)
		}
		p := teams.NewPlatform(teams.NewConnector(teamstest.AppID, teamstest.AppSecret, bf.TokenURL(), nil, teamstest.ClientTimeout), s, "t1")
		channel, id, err := p.DirectMessage(ctx, "29:rita", bot.Notice("You claimed Berg ApS"))
		if err != nil || channel != "29:rita" || id == "" {
			t.Fatalf("DirectMessage = %q, %q, %v; want the user as channel and an activity id", channel, id, err)
		}
		if err := p.Update(ctx, channel, id, bot.ErasedCard()); err != nil {
			t.Fatal(err)
		}
		var sent, updated teamstest.Call
		for _, c := range bf.Calls() {
			switch c.Op {
			case "send":
				sent = c
			case "update":
				updated = c
			}
		}
		if sent.ActivityID != id || updated.ActivityID != id || updated.ConversationID != sent.ConversationID {
			t.Fatalf("sent %s/%s, updated %s/%s; want the same activity in the same chat", sent.ConversationID, sent.ActivityID, updated.ConversationID, updated.ActivityID)
		}
	})
}
