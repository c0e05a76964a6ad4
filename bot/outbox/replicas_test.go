package outbox_test

import (
	"context"
	"testing"
	"time"

	"github.com/handoff/handoff/bot/outbox"
	slackbot "github.com/handoff/handoff/bot/slack"
	"github.com/handoff/handoff/bot/teams/teamstest"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// In a rolling deploy that adds Teams, two replicas on one database: the
// old one serves Slack alone, the new one Slack and Teams. The work meant
// for every platform (a new SQL's card, an erasure) is the new replica's,
// even when the old one looks at the outbox first: the old one took it,
// posted the card to Slack alone or erased the Slack card alone, and
// marked it done, so Teams never got the card and went on showing the
// erased person. Once the new replica has stopped, or died and its record
// ran out, the old one takes that work again.
func TestPlatformlessWorkGoesToAReplicaServingEveryPlatform(t *testing.T) {
	cases := []struct {
		name string
		// gone says how the Slack and Teams replica is gone before the
		// lead comes: "" not gone, "stopped" (Run returned), "died"
		// (its record runs out).
		gone  string
		erase bool // the lead's erasure, after both cards were posted
	}{
		{name: "a new SQL's card"},
		{name: "an erasure", erase: true},
		{name: "a card once the Teams replica stopped", gone: "stopped"},
		{name: "a card once the Teams replica died", gone: "died"},
	}
	for _, dialect := range storagetest.Dialects {
		for _, c := range cases {
			t.Run(dialect+"/"+c.name, func(t *testing.T) {
				ctx := context.Background()
				u := storagetest.URL(t, dialect)
				oldStore := storagetest.OpenURL(t, u, storage.Options{})
				newStore := storagetest.OpenURL(t, u, storage.Options{})
				r := newRig(t, oldStore)
				bf := teamstest.New(t)
				old := outbox.New(r.config("slack-only"))
				cfg := r.config("slack-and-teams")
				cfg.Store = newStore
				cfg.Targets = append(cfg.Targets, teamsTarget(t, newStore, bf))
				both := outbox.New(cfg)
				if _, err := both.RunOnce(ctx); err != nil { // it starts: nothing to do yet
					t.Fatal(err)
				}
				switch c.gone {
				case "stopped":
					run, stop := context.WithCancel(ctx)
					stop()
					if err := outbox.New(cfg).Run(run); err != nil {
						t.Fatal(err)
					}
				case "died":
					r.clock.Advance(cfg.Lease + time.Second)
				}
				l := saveLead(t, oldStore, "rolling-"+c.name)
				wantTeams := 1
				if c.gone != "" {
					wantTeams = 0
				}
				teamsUpdates := func() int {
					n := 0
					for _, call := range bf.Calls() {
						if call.Op == "update" {
							n++
						}
					}
					return n
				}
				var slackBefore, teamsBefore int // the cards' updates before the erasure
				if c.erase {
					drain(t, both)
					slackBefore, teamsBefore = len(r.slack.Calls("chat.update")), teamsUpdates()
					if err := oldStore.ForgetLead(ctx, l.ExternalID, r.clock.Now()); err != nil {
						t.Fatal(err)
					}
				}
				drain(t, old) // the old replica looks first
				if c.gone == "" {
					if at, ok, err := oldStore.NextOutboxDue(ctx, r.clock.Now(), slackbot.Name); err != nil || ok {
						t.Errorf("the Slack-only replica waits for a message due at %v (%v, %v), want none it takes", at, ok, err)
					}
				}
				if c.gone == "" {
					drain(t, both)
				}
				drain(t, old)
				if n := postsOf(r.slack.Calls("chat.postMessage"), l.Company); n != 1 {
					t.Errorf("Slack card posted %d times, want 1", n)
				}
				if n := teamsCards(bf); n != wantTeams {
					t.Errorf("Teams card posted %d times, want %d", n, wantTeams)
				}
				if c.erase {
					if len(r.slack.Calls("chat.update")) == slackBefore {
						t.Error("the erasure did not update the Slack card")
					}
					if teamsUpdates() == teamsBefore {
						t.Error("the erasure did not update the Teams card: it still shows the person")
					}
				}
				if st := outboxStatus(t, oldStore); st.Pending != 0 || st.Dead != 0 {
					t.Errorf("outbox = %+v, want every message done, none given up", st)
				}
			})
		}
	}
}
