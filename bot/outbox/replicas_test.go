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
				r, old, cfg, bf := twoReplicas(t, dialect, "slack-and-teams")
				oldStore := r.store
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
				var slackBefore, teamsBefore int // the cards' updates before the erasure
				if c.erase {
					drain(t, both)
					slackBefore, teamsBefore = len(r.slack.Calls("chat.update")), teamsUpdates(bf)
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
				cardsPosted(t, r, bf, l.Company, wantTeams)
				if c.erase {
					cardsErased(t, r, bf, slackBefore, teamsBefore)
				}
				if st := outboxStatus(t, oldStore); st.Pending != 0 || st.Dead != 0 {
					t.Errorf("outbox = %+v, want every message done, none given up", st)
				}
			})
		}
	}
}

// Two replicas on one database, configured with different platforms and
// neither with both: one serves Slack, the other Teams. The work meant
// for every platform (a new SQL's card, an erasure) left both replicas
// waiting for one that serves every platform, pending for ever; each
// replica now splits it into one message per platform the replicas serve
// and does its own platform's part, whichever looks at the outbox first.
func TestPlatformlessWorkSplitAcrossReplicasOfDifferentPlatforms(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		for _, first := range []string{"slack", "teams"} {
			t.Run(dialect+"/"+first+" first", func(t *testing.T) {
				ctx := context.Background()
				r, slackOnly, cfg, bf := twoReplicas(t, dialect, "teams-only")
				slackStore := r.store
				cfg.Targets = cfg.Targets[1:] // Teams alone
				teamsOnly := outbox.New(cfg)
				order := []*outbox.Dispatcher{slackOnly, teamsOnly}
				if first == "teams" {
					order = []*outbox.Dispatcher{teamsOnly, slackOnly}
				}
				for _, d := range order { // they start: nothing to do yet
					if _, err := d.RunOnce(ctx); err != nil {
						t.Fatal(err)
					}
				}
				rounds := func() {
					for range 2 {
						for _, d := range order {
							drain(t, d)
						}
					}
				}
				l := saveLead(t, slackStore, "split-"+first)
				rounds()
				cardsPosted(t, r, bf, l.Company, 1)
				if st := outboxStatus(t, slackStore); st.Pending != 0 || st.Dead != 0 {
					t.Fatalf("after the card: outbox = %+v, want every message done, none pending or given up", st)
				}
				slackBefore, teamsBefore := len(r.slack.Calls("chat.update")), teamsUpdates(bf)
				if err := slackStore.ForgetLead(ctx, l.ExternalID, r.clock.Now()); err != nil {
					t.Fatal(err)
				}
				rounds()
				cardsErased(t, r, bf, slackBefore, teamsBefore)
				if st := outboxStatus(t, slackStore); st.Pending != 0 || st.Dead != 0 {
					t.Errorf("after the erasure: outbox = %+v, want every message done, none pending or given up", st)
				}
			})
		}
	}
}

// teamsUpdates counts the activities updated on the stand-in Teams.
func teamsUpdates(bf *teamstest.Server) int {
	n := 0
	for _, call := range bf.Calls() {
		if call.Op == "update" {
			n++
		}
	}
	return n
}

// twoReplicas is two replicas on one new database of dialect: the rig on
// the first's store, with old, its dispatcher serving Slack, and cfg, a
// configuration of worker on the second's store serving Slack and Teams
// (the stand-in Teams bf), in that order.
func twoReplicas(t *testing.T, dialect, worker string) (r *rig, old *outbox.Dispatcher, cfg outbox.Config, bf *teamstest.Server) {
	t.Helper()
	u := storagetest.URL(t, dialect)
	r = newRig(t, storagetest.OpenURL(t, u, storage.Options{}))
	second := storagetest.OpenURL(t, u, storage.Options{})
	bf = teamstest.New(t)
	old = outbox.New(r.config("slack-only"))
	cfg = r.config(worker)
	cfg.Store = second
	cfg.Targets = append(cfg.Targets, teamsTarget(t, second, bf))
	return r, old, cfg, bf
}

// cardsPosted checks that the lead of company had its card posted once to
// the stand-in Slack and wantTeams times to the stand-in Teams bf.
func cardsPosted(t *testing.T, r *rig, bf *teamstest.Server, company string, wantTeams int) {
	t.Helper()
	if n := postsOf(r.slack.Calls("chat.postMessage"), company); n != 1 {
		t.Errorf("Slack card posted %d times, want 1", n)
	}
	if n := teamsCards(bf); n != wantTeams {
		t.Errorf("Teams card posted %d times, want %d", n, wantTeams)
	}
}

// cardsErased checks that both platforms' cards were updated since the
// counts of updates slackBefore and teamsBefore, by the erasure.
func cardsErased(t *testing.T, r *rig, bf *teamstest.Server, slackBefore, teamsBefore int) {
	t.Helper()
	if len(r.slack.Calls("chat.update")) == slackBefore {
		t.Error("the erasure did not update the Slack card")
	}
	if teamsUpdates(bf) == teamsBefore {
		t.Error("the erasure did not update the Teams card: it still shows the person")
	}
}
