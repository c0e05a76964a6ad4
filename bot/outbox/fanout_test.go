package outbox_test

import (
	"context"
	"encoding/json"
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

// A note to the managers of Slack and Teams is split into one per
// platform with the note's outcome, in its commit. A replica killed after
// it split the note and before that commit left its copies queued, and the
// replica that took the note after the lease split it again: both
// managers' channels got the note twice.
func TestDispatchSplitOnceWhenKilledBeforeTheRecord(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newRig(t, s)
		bf := teamstest.New(t)
		const team, managers = "19:general@thread.tacv2", "19:managers@thread.tacv2"
		if err := s.SaveTeamsConversation(ctx, handoff.TeamsConversation{ConversationID: managers, ChannelID: managers, ChannelName: "Managers",
			TeamID: team, TeamName: "Sales Team", ServiceURL: bf.ServiceURL(), TenantID: "t1", BotID: "28:" + teamstest.AppID}, t0); err != nil {
			t.Fatal(err)
		}
		tp := teams.NewPlatform(teams.NewConnector(teamstest.AppID, teamstest.AppSecret, bf.TokenURL(), nil, teamstest.ClientTimeout), s, "t1")
		config := func(store outbox.Store, worker string) outbox.Config {
			cfg := r.managersConfig(worker)
			cfg.Store = store
			cfg.Targets = append(cfg.Targets, bot.Target{Platform: tp, ManagerChannel: "Sales Team/Managers"})
			return cfg
		}
		payload, err := json.Marshal(bot.Envelope{Message: bot.Message{Summary: "The team meeting moves to 10:00"}})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Enqueue(ctx, t0, handoff.OutboxMessage{Kind: handoff.OutboxManagersNote, Payload: string(payload)}); err != nil {
			t.Fatal(err)
		}
		if _, err := outbox.New(config(killedBeforeRecord{s}, "killed")).RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		r.clock.Advance(2 * time.Minute) // the killed replica's lease runs out
		drain(t, outbox.New(config(s, "next")))

		slackNotes := 0
		for _, c := range r.slack.Calls("chat.postMessage") {
			if c.Param("channel") == "CMGR" {
				slackNotes++
			}
		}
		teamsNotes := 0
		for _, c := range bf.Calls() {
			if c.Op == "create" {
				teamsNotes++
			}
		}
		if slackNotes != 1 || teamsNotes != 1 {
			t.Fatalf("the note was posted %d times in Slack and %d in Teams, want once each", slackNotes, teamsNotes)
		}
		if st := outboxStatus(t, s); st.Pending != 0 || st.Dead != 0 {
			t.Fatalf("outbox = %+v, want every message done", st)
		}
	})
}
