package slack_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	slackbot "github.com/handoff/handoff/bot/slack"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/internal/cache"
	"github.com/handoff/handoff/internal/testkit"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// sharedReplica is one replica's view of the Slack workspace: its
// managers, its members' profiles and the app its events reach.
type sharedReplica struct {
	managers  *slackbot.Managers
	workspace *slackbot.Workspace
	app       *slackbot.App
}

// Two replicas on one database: the subteam_members_changed of a manager
// removed from the managers' user group, or the user_change of a member
// made a guest, reaches one of them. The other, which read the group or
// the member's profile a moment before (kept 5 and 10 minutes), answered
// by what it read until that ran out; it now answers by the change once
// cache.DefaultSharedEvery has passed on its clock, and only the changed
// answers are read again.
func TestSlackChangesReachEveryReplica(t *testing.T) {
	cases := []struct {
		name string
		// change makes the change on the stand-in Slack and returns the
		// event that tells of it.
		change func(fake *slacktest.Server) string
		// allowed is what a replica answers for the changed user.
		allowed func(t *testing.T, r sharedReplica) bool
		method  string // the Slack method read again after the change
		reads   int    // its calls after the change: the other replica's, and the first's when it forgot the answer
	}{
		{
			name: "a manager removed from the managers' group",
			change: func(fake *slacktest.Server) string {
				fake.SetGroup("SMANAGERS", "UOTHER")
				return slacktest.GroupEvent("EvGroup1", "SMANAGERS", nil, []string{"UBOSS"})
			},
			allowed: func(t *testing.T, r sharedReplica) bool {
				t.Helper()
				ok, err := r.managers.IsManager(context.Background(), "UBOSS")
				if err != nil {
					t.Fatal(err)
				}
				return ok
			},
			method: "usergroups.users.list",
			reads:  1,
		},
		{
			name: "a member made a guest",
			change: func(fake *slacktest.Server) string {
				fake.SetUser("UBOSS", slacktest.User{Restricted: true})
				return guestEvent("EvUser1", "UBOSS")
			},
			allowed: func(t *testing.T, r sharedReplica) bool {
				t.Helper()
				err := r.workspace.Check(context.Background(), slacktest.TeamID, "", "UBOSS")
				if err != nil && handoff.ErrorCode(err) != handoff.EFORBIDDEN {
					t.Fatal(err)
				}
				return err == nil
			},
			method: "users.info",
			reads:  2,
		},
	}
	for _, dialect := range storagetest.Dialects {
		for _, c := range cases {
			t.Run(dialect+"/"+c.name, func(t *testing.T) {
				ctx := context.Background()
				fake, clock, replicas := newSharedReplicas(t, dialect)
				for i, r := range replicas {
					if !c.allowed(t, r) {
						t.Fatalf("replica %d refuses the user before the change", i)
					}
				}
				reads := len(fake.Calls(c.method))
				if _, err := replicas[0].app.Event(ctx, []byte(c.change(fake))); err != nil {
					t.Fatal(err)
				}
				if c.allowed(t, replicas[0]) {
					t.Error("the replica the event reached still answers as before the change")
				}
				clock.Advance(cache.DefaultSharedEvery)
				if c.allowed(t, replicas[1]) {
					t.Errorf("the other replica still answers as before the change, %v after the event", cache.DefaultSharedEvery)
				}
				if n := len(fake.Calls(c.method)) - reads; n != c.reads {
					t.Errorf("%s was called %d times after the event, want %d", c.method, n, c.reads)
				}
			})
		}
	}
}

// newSharedReplicas starts a stand-in Slack whose managers' group holds
// UBOSS and UOTHER, and two replicas of it on one database of dialect,
// on one clock.
func newSharedReplicas(t *testing.T, dialect string) (*slacktest.Server, *testkit.Clock, []sharedReplica) {
	t.Helper()
	fake := slacktest.New(token)
	t.Cleanup(fake.Close)
	fake.SetGroup("SMANAGERS", "UBOSS", "UOTHER")
	u := storagetest.URL(t, dialect)
	clock := testkit.NewClock(testkit.T0)
	replicas := make([]sharedReplica, 2)
	for i := range replicas {
		s := storagetest.OpenURL(t, u, storage.Options{})
		api := slackbot.NewClient(token, "", fake.APIURL(), slacktest.ClientTimeout)
		r := sharedReplica{managers: slackbot.NewManagers(api, nil, "SMANAGERS", slacktest.ClientTimeout), workspace: slackbot.NewWorkspace(api, slacktest.ClientTimeout)}
		r.managers.Share(s)
		r.managers.SetClock(clock.Now)
		r.workspace.Share(s)
		r.workspace.SetClock(clock.Now)
		r.app = slackbot.NewApp(slackbot.AppConfig{Bot: bot.New(bot.Config{Store: s, Logger: testkit.Quiet()}),
			Platform: slackbot.NewPlatform(api), Workspace: r.workspace, Managers: r.managers, Dedup: s,
			Now: clock.Now, Logger: testkit.Quiet()})
		replicas[i] = r
	}
	return fake, clock, replicas
}

// Most user_change events leave the user a full member (a new status, a
// new name): the replica the event reached reads the user again, and the
// other keeps what users.info said of everyone instead of reading each
// member again at their next click.
func TestSlackStatusChangeStaysOnItsReplica(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			fake, clock, replicas := newSharedReplicas(t, dialect)
			for i, r := range replicas {
				if err := r.workspace.Check(ctx, slacktest.TeamID, "", "UBOSS"); err != nil {
					t.Fatalf("replica %d refuses a member: %v", i, err)
				}
			}
			reads := len(fake.Calls("users.info"))
			event := fmt.Sprintf(`{"type":"event_callback","team_id":%q,"event_id":"EvStatus1","event_time":1700000000,`+
				`"event":{"type":"user_change","user":{"id":"UBOSS","team_id":%[1]q,"profile":{"status_text":"In a meeting","status_emoji":":calendar:"}}}}`, slacktest.TeamID)
			if _, err := replicas[0].app.Event(ctx, []byte(event)); err != nil {
				t.Fatal(err)
			}
			clock.Advance(cache.DefaultSharedEvery)
			for i, r := range replicas {
				if err := r.workspace.Check(ctx, slacktest.TeamID, "", "UBOSS"); err != nil {
					t.Fatalf("replica %d refuses the member after a status change: %v", i, err)
				}
			}
			if n := len(fake.Calls("users.info")) - reads; n != 1 {
				t.Errorf("users.info was called %d times after a status change, want 1 (the replica the event reached)", n)
			}
		})
	}
}

// A member made a guest on one replica: the other drops what users.info
// said of that member alone, not of everyone it had read. Its next check
// of the guest reads them once, and its checks of the members it had
// read before make no call (they were all read again, each at their next
// request, when the whole cache was dropped).
func TestSlackRevokedUserReadAgainAlone(t *testing.T) {
	members := []string{"UBOSS", "UOTHER", "UREP"}
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			fake, clock, replicas := newSharedReplicas(t, dialect)
			for i, r := range replicas {
				for _, u := range members {
					if err := r.workspace.Check(ctx, slacktest.TeamID, "", u); err != nil {
						t.Fatalf("replica %d refuses %s before the change: %v", i, u, err)
					}
				}
			}
			fake.SetUser("UBOSS", slacktest.User{Restricted: true})
			if _, err := replicas[0].app.Event(ctx, []byte(guestEvent("EvGuest1", "UBOSS"))); err != nil {
				t.Fatal(err)
			}
			clock.Advance(cache.DefaultSharedEvery)
			before := usersInfoCalls(fake)
			err := replicas[1].workspace.Check(ctx, slacktest.TeamID, "", "UBOSS")
			if handoff.ErrorCode(err) != handoff.EFORBIDDEN {
				t.Fatalf("the other replica's check of the member made a guest = %v, want refused", err)
			}
			for _, u := range members[1:] {
				if err := replicas[1].workspace.Check(ctx, slacktest.TeamID, "", u); err != nil {
					t.Fatalf("the other replica refuses %s after another member was made a guest: %v", u, err)
				}
			}
			after := usersInfoCalls(fake)
			for _, u := range members {
				want := 0
				if u == "UBOSS" {
					want = 1
				}
				if n := after[u] - before[u]; n != want {
					t.Errorf("the other replica called users.info for %s %d times after UBOSS was made a guest, want %d", u, n, want)
				}
			}
		})
	}
}

// guestEvent is the user_change of user made a multi-channel guest.
func guestEvent(eventID, user string) string {
	return fmt.Sprintf(`{"type":"event_callback","team_id":%q,"event_id":%q,"event_time":1700000000,`+
		`"event":{"type":"user_change","user":{"id":%q,"team_id":%[1]q,"is_restricted":true,"profile":{}}}}`, slacktest.TeamID, eventID, user)
}

// usersInfoCalls counts the stand-in Slack's users.info calls by user.
func usersInfoCalls(fake *slacktest.Server) map[string]int {
	n := map[string]int{}
	for _, c := range fake.Calls("users.info") {
		n[c.Param("user")]++
	}
	return n
}
