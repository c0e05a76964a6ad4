package outbox_test

import (
	"context"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot/outbox"
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
// ran out, the old one takes that work again: it does the Slack part, and
// the Teams part waits for the next replica serving Teams.
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
				var slackBefore, teamsBefore int // the cards' updates before the erasure
				if c.erase {
					drain(t, both)
					slackBefore, teamsBefore = len(r.slack.Calls("chat.update")), teamsUpdates(bf)
					if err := oldStore.ForgetLead(ctx, l.ExternalID, handoff.DefaultPolicy(), r.clock.Now()); err != nil {
						t.Fatal(err)
					}
				}
				drain(t, old) // the old replica looks first
				if c.gone == "" {
					if at, ok, err := old.NextDue(ctx); err != nil || ok {
						t.Errorf("the Slack-only replica waits for a message due at %v (%v, %v), want none it takes", at, ok, err)
					}
				}
				if c.gone == "" {
					drain(t, both)
				}
				drain(t, old)
				if c.gone != "" { // it is back
					cfg.Worker = "slack-and-teams-again"
					drain(t, outbox.New(cfg))
				}
				cardsPosted(t, r, bf, l.Company, 1)
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
				if err := slackStore.ForgetLead(ctx, l.ExternalID, handoff.DefaultPolicy(), r.clock.Now()); err != nil {
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

// Two replicas on one database, one serving Slack, the other Teams, and
// the Teams one goes away a while (a restart: it stops, or it dies and its
// record runs out) as a new SQL comes and an earlier lead is erased. The
// Slack replica took that work alone and did the Slack part, and no Teams
// part was ever made: the Teams replica, back, never posted the new card
// and left the erased person on the old one. The Teams part now waits for
// the next replica serving Teams, which does it.
func TestPlatformlessWorkWaitsForAPlatformsReplicaToComeBack(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		for _, gone := range []string{"stopped", "died"} {
			t.Run(dialect+"/"+gone, func(t *testing.T) {
				ctx := context.Background()
				r, slackOnly, cfg, bf := twoReplicas(t, dialect, "teams-only")
				slackStore := r.store
				cfg.Targets = cfg.Targets[1:] // Teams alone
				teamsOnly := outbox.New(cfg)
				for _, d := range []*outbox.Dispatcher{slackOnly, teamsOnly} { // they start: nothing to do yet
					if _, err := d.RunOnce(ctx); err != nil {
						t.Fatal(err)
					}
				}
				before := saveLead(t, slackStore, "before-"+gone)
				for range 2 {
					drain(t, slackOnly)
					drain(t, teamsOnly)
				}
				cardsPosted(t, r, bf, before.Company, 1)
				switch gone {
				case "stopped":
					run, stop := context.WithCancel(ctx)
					stop()
					if err := teamsOnly.Run(run); err != nil {
						t.Fatal(err)
					}
				case "died":
					r.clock.Advance(cfg.Lease + time.Second)
				}
				slackBefore, teamsBefore := len(r.slack.Calls("chat.update")), teamsUpdates(bf)
				during := saveLead(t, slackStore, "during-"+gone)
				if err := slackStore.ForgetLead(ctx, before.ExternalID, handoff.DefaultPolicy(), r.clock.Now()); err != nil {
					t.Fatal(err)
				}
				drain(t, slackOnly)
				drain(t, slackOnly)
				if n := postsOf(r.slack.Calls("chat.postMessage"), during.Company); n != 1 {
					t.Errorf("while Teams' replica is away, the new SQL's Slack card was posted %d times, want 1", n)
				}
				if len(r.slack.Calls("chat.update")) == slackBefore {
					t.Error("while Teams' replica is away, the erasure did not update the Slack card")
				}
				cfg.Worker = "teams-only-again" // the Teams replica restarted
				drain(t, outbox.New(cfg))
				if n := teamsCards(bf); n != 2 {
					t.Errorf("Teams cards posted = %d once a Teams replica is back, want 2 (the new SQL's too)", n)
				}
				if teamsUpdates(bf) == teamsBefore {
					t.Error("the erasure made while Teams' replica was away never updated the Teams card: it still shows the person")
				}
				if st := outboxStatus(t, slackStore); st.Pending != 0 || st.Dead != 0 {
					t.Errorf("outbox = %+v, want every message done, none pending or given up", st)
				}
			})
		}
	}
}

// A platform removed for good: once its pending messages are dropped
// (handoff outbox drop --platform teams --pending), the work for every
// platform gets no part for it, which would wait pending for a replica that
// never comes.
func TestDroppedPlatformGetsNoPart(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			r, slackOnly, cfg, _ := twoReplicas(t, dialect, "teams-only")
			cfg.Targets = cfg.Targets[1:] // Teams alone
			teamsOnly := outbox.New(cfg)
			if _, err := teamsOnly.RunOnce(ctx); err != nil { // it serves Teams a moment...
				t.Fatal(err)
			}
			run, stop := context.WithCancel(ctx)
			stop()
			if err := teamsOnly.Run(run); err != nil { // ...and stops
				t.Fatal(err)
			}
			if _, _, err := r.store.DropPendingOutbox(ctx, "teams", r.clock.Now()); err != nil {
				t.Fatal(err)
			}
			l := saveLead(t, r.store, "after-the-drop")
			drain(t, slackOnly)
			drain(t, slackOnly)
			if n := postsOf(r.slack.Calls("chat.postMessage"), l.Company); n != 1 {
				t.Errorf("Slack card posted %d times, want 1", n)
			}
			if st := outboxStatus(t, r.store); st.Pending != 0 || st.Dead != 0 {
				t.Errorf("outbox = %+v, want every message done, no part left for the dropped platform", st)
			}
		})
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
