package outbox_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/outbox"
	slackbot "github.com/handoff/handoff/bot/slack"
	"github.com/handoff/handoff/bot/teams/teamstest"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestManagersWorkGoesToTheReplicaWithAManagersChannel: two replicas on
// one database serve Slack, one with a managers' channel and one without
// (SLACK_MANAGER_CHANNEL set on one replica first). An escalation, for
// every platform or for Slack alone (a part fanOut made), taken by the
// replica without one was marked "skipped: no managers' channel" although
// the other replica would have posted it. Whichever replica looks first,
// it is now posted to the managers' channel, once, by the replica that has
// one. Once that replica has stopped, or died and its record ran out, the
// other takes it and skips it, as before: nothing waits for ever.
func TestManagersWorkGoesToTheReplicaWithAManagersChannel(t *testing.T) {
	cases := []struct {
		name     string
		platform string // the escalation's
		first    string // the replica that looks first: "without" or "with"
		gone     string // how the replica with one is gone: "", "stopped", "died"
		posted   int    // escalations posted to CMGR
	}{
		{name: "for every platform, the replica without one first", first: "without", posted: 1},
		{name: "for Slack, the replica without one first", platform: slackbot.Name, first: "without", posted: 1},
		{name: "for every platform, the replica with one first", first: "with", posted: 1},
		{name: "for every platform, the replica with one stopped", first: "without", gone: "stopped"},
		{name: "for Slack, the replica with one died", platform: slackbot.Name, first: "without", gone: "died"},
	}
	for _, dialect := range storagetest.Dialects {
		for _, c := range cases {
			t.Run(dialect+"/"+c.name, func(t *testing.T) {
				ctx := context.Background()
				u := storagetest.URL(t, dialect)
				r := newRig(t, storagetest.OpenURL(t, u, storage.Options{}))
				without := outbox.New(r.config("without-managers"))
				cfg := r.managersConfig("with-managers")
				cfg.Store = storagetest.OpenURL(t, u, storage.Options{})
				with := outbox.New(cfg)
				for _, d := range []*outbox.Dispatcher{without, with} { // they start: nothing to do yet
					if _, err := d.RunOnce(ctx); err != nil {
						t.Fatal(err)
					}
				}
				l := saveLead(t, r.store, "escalated-"+c.platform+c.first+c.gone)
				drain(t, with) // its card
				switch c.gone {
				case "stopped":
					run, stop := context.WithCancel(ctx)
					stop()
					if err := outbox.New(cfg).Run(run); err != nil {
						t.Fatal(err)
					}
				case "died":
					r.clock.Advance(cfg.Lease + time.Minute) // its record runs out
				}
				r.escalate(t, l.ID, c.platform)
				order := []*outbox.Dispatcher{without, with}
				if c.first == "with" {
					order = []*outbox.Dispatcher{with, without}
				}
				if c.gone != "" {
					order = order[:1] // the replica with one is gone
				}
				for _, d := range order {
					drain(t, d)
				}
				r.escalationsPosted(t, c.posted)
			})
		}
	}
}

// escalate queues an escalation of lead id, for platform ("" for every
// platform), due now.
func (r *rig) escalate(t *testing.T, id int64, platform string) {
	t.Helper()
	notice, err := json.Marshal(handoff.SLANotice{Action: handoff.SLAEscalateClaim, Due: t0, At: r.clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.store.Enqueue(context.Background(), r.clock.Now(), handoff.OutboxMessage{Kind: handoff.OutboxEscalate, LeadID: id,
		Platform: platform, Payload: string(notice)}); err != nil {
		t.Fatal(err)
	}
}

// escalationsPosted checks that posted escalations reached the managers'
// channel CMGR and that the outbox holds nothing pending or given up.
func (r *rig) escalationsPosted(t *testing.T, posted int) {
	t.Helper()
	if n := postsTo(r.slack.Calls("chat.postMessage"), "CMGR"); n != posted {
		t.Errorf("escalations posted to the managers' channel: %d, want %d", n, posted)
	}
	if st := outboxStatus(t, r.store); st.Pending != 0 || st.Dead != 0 {
		t.Errorf("outbox = %+v, want every message done, none waiting or given up", st)
	}
}

// TestManagersNoteSplitForAReplicaWithAManagersChannel: replica
// "slack-and-teams" has a managers' channel on Slack alone, replica
// "teams" has one on Teams. A note to the managers of every platform,
// taken by the first, was split into its Slack part alone (it has no
// managers' channel on Teams), so Teams' managers never got it although
// the other replica would have posted it. It now makes a Teams part too,
// which it leaves to the Teams replica, which posts it.
func TestManagersNoteSplitForAReplicaWithAManagersChannel(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			u := storagetest.URL(t, dialect)
			r := newRig(t, storagetest.OpenURL(t, u, storage.Options{}))
			second := storagetest.OpenURL(t, u, storage.Options{})
			bf := teamstest.New(t)
			const team, managers = "19:general@thread.tacv2", "19:managers@thread.tacv2"
			if err := r.store.SaveTeamsConversation(ctx, handoff.TeamsConversation{ConversationID: managers, ChannelID: managers, ChannelName: "Managers",
				TeamID: team, TeamName: "Sales Team", ServiceURL: bf.ServiceURL(), TenantID: "t1", BotID: "28:" + teamstest.AppID}, t0); err != nil {
				t.Fatal(err)
			}
			cfg := r.managersConfig("slack-and-teams")
			cfg.Targets = append(cfg.Targets, teamsTarget(t, r.store, bf)) // no managers' channel on Teams
			mixed := outbox.New(cfg)
			tcfg := r.config("teams")
			tcfg.Store = second
			tt := teamsTarget(t, second, bf)
			tt.ManagerChannel = "Sales Team/Managers"
			tcfg.Targets = []bot.Target{tt}
			teamsOnly := outbox.New(tcfg)
			for _, d := range []*outbox.Dispatcher{mixed, teamsOnly} { // they start: nothing to do yet
				if _, err := d.RunOnce(ctx); err != nil {
					t.Fatal(err)
				}
			}
			payload, err := json.Marshal(bot.Envelope{Message: bot.Message{Summary: "The team meeting moves to 10:00"}})
			if err != nil {
				t.Fatal(err)
			}
			if err := r.store.Enqueue(ctx, r.clock.Now(), handoff.OutboxMessage{Kind: handoff.OutboxManagersNote, Payload: string(payload)}); err != nil {
				t.Fatal(err)
			}
			drain(t, mixed)
			drain(t, teamsOnly)
			teamsNotes := 0
			for _, c := range bf.Calls() {
				if c.Op == "create" {
					teamsNotes++
				}
			}
			if n := postsTo(r.slack.Calls("chat.postMessage"), "CMGR"); n != 1 || teamsNotes != 1 {
				t.Errorf("the note was posted %d times in Slack and %d in Teams, want once each", n, teamsNotes)
			}
			if st := outboxStatus(t, r.store); st.Pending != 0 || st.Dead != 0 {
				t.Errorf("outbox = %+v, want every message done, none waiting or given up", st)
			}
		})
	}
}

// TestGivenUpCardToldByTheReplicaWithAManagersChannel: two replicas on one
// database serve Slack, one with a managers' channel and one without. The
// one without gives a new SQL's card up (the app is out of the sales
// channel): it queued no note to the managers, having no managers'
// channel itself, so the lead that never reached sales went unseen
// although the other replica would have posted the note. The note is now
// queued and posted there by the replica with one.
func TestGivenUpCardToldByTheReplicaWithAManagersChannel(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			u := storagetest.URL(t, dialect)
			r := newRig(t, storagetest.OpenURL(t, u, storage.Options{}))
			without := outbox.New(r.config("without-managers"))
			cfg := r.managersConfig("with-managers")
			cfg.Store = storagetest.OpenURL(t, u, storage.Options{})
			with := outbox.New(cfg)
			for _, d := range []*outbox.Dispatcher{without, with} { // they start: nothing to do yet
				if _, err := d.RunOnce(ctx); err != nil {
					t.Fatal(err)
				}
			}
			r.slack.RemoveBot("CSALES")
			saveLead(t, r.store, "never-reached-sales")
			drain(t, without) // takes the card and gives it up
			drain(t, with)
			if n := postsTo(r.slack.Calls("chat.postMessage"), "CMGR"); n != 1 {
				t.Errorf("notes posted to the managers' channel: %d, want 1", n)
			}
			if st := outboxStatus(t, r.store); st.Pending != 0 || st.Dead != 1 {
				t.Errorf("outbox = %+v, want the card given up and nothing waiting", st)
			}
		})
	}
}
