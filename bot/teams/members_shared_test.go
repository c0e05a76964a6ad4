package teams_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot/teams"
	"github.com/handoff/handoff/bot/teams/teamstest"
	"github.com/handoff/handoff/internal/cache"
	"github.com/handoff/handoff/internal/testkit"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// The sales channel and its team of the replicas' tests.
const sharedSales, sharedTeam = "19:sales@thread.tacv2", "19:sales-team@thread.tacv2"

// replica is one replica's Teams pieces.
type replica struct {
	store    *storage.Store
	platform *teams.Platform
	members  *teams.SalesMembers
}

// replicas are n replicas on one new database of dialect, each with the
// sales channel stored, on the stand-in Bot Framework bf, their members
// shared (SalesMembers.Share).
func replicas(t *testing.T, dialect string, bf *teamstest.Server, n int) []replica {
	t.Helper()
	u := storagetest.URL(t, dialect)
	out := make([]replica, n)
	for i := range out {
		s := storagetest.OpenURL(t, u, storage.Options{})
		if err := s.SaveTeamsConversation(context.Background(), handoff.TeamsConversation{ConversationID: sharedSales, ChannelID: sharedSales,
			ChannelName: "Sales", TeamID: sharedTeam, ServiceURL: bf.ServiceURL(), TenantID: "t1"}, time.Now()); err != nil {
			t.Fatal(err)
		}
		p := teams.NewPlatform(teams.NewConnector(teamstest.AppID, teamstest.AppSecret, bf.TokenURL(), nil, teamstest.ClientTimeout), s, "t1")
		out[i] = replica{store: s, platform: p, members: teams.NewSalesMembers(p, sharedSales)}
		out[i].members.Share(s)
	}
	return out
}

// Two replicas on one database: the teamMemberRemoved of a rep removed
// from the sales channel's team reaches one of them. The other, which
// asked a moment before whether the rep is a member (the answer is kept 5
// minutes), refuses the rep within cache.DefaultSharedEvery too.
func TestTeamRemovalReachesEveryReplica(t *testing.T) {
	const rep, other = "29:1removed-rep", "29:1staying-rep"
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			bf := teamstest.New(t)
			bf.SetMembers(sharedTeam, rep, other)
			rs := replicas(t, dialect, bf, 2)
			for i, r := range rs {
				if !testkit.IsMember(t, r.members, rep) {
					t.Fatalf("replica %d: the rep is not a member before the event", i)
				}
			}
			bf.SetMembers(sharedTeam, other)
			if err := rs[0].members.Changed(context.Background(), sharedTeam, rep); err != nil {
				t.Fatal(err)
			}
			if testkit.IsMember(t, rs[0].members, rep) {
				t.Error("the replica the event reached still lets the rep see leads")
			}
			time.Sleep(cache.DefaultSharedEvery)
			if testkit.IsMember(t, rs[1].members, rep) {
				t.Errorf("the other replica still lets the rep removed from the team see leads, %v after the event (its answer is kept 5 minutes)", cache.DefaultSharedEvery)
			}
			for i, r := range rs {
				if !testkit.IsMember(t, r.members, other) {
					t.Errorf("replica %d: a member who stayed lost sight of leads", i)
				}
			}
		})
	}
}

// Two replicas on one database: Teams tells one of them that a rep was
// removed from the sales channel's team, or that someone was added to it.
// The other drops what the Bot Connector said of that user alone, not of
// everyone it had asked about: its next check of the user asks once, and
// its checks of the members it had asked about before ask nothing (with
// every answer dropped, each was asked again at their next request).
func TestTeamChangeReadAgainAlone(t *testing.T) {
	const rep, joiner = "29:1changed-rep", "29:1joining-rep"
	stayed := []string{"29:1staying-ann", "29:1staying-bo", "29:1staying-cy"}
	cases := []struct {
		name   string
		user   string
		before []string // the team's members before the change, after it stayed too
		event  func(tm teamstest.Team) map[string]any
		member bool // the user after the change
	}{
		{"removed", rep, append([]string{rep}, stayed...), func(tm teamstest.Team) map[string]any { return tm.MemberRemoved(rep) }, false},
		{"added", joiner, stayed, func(tm teamstest.Team) map[string]any { return tm.MemberAdded(joiner) }, true},
	}
	for _, dialect := range storagetest.Dialects {
		for _, c := range cases {
			t.Run(dialect+"/"+c.name, func(t *testing.T) {
				ctx := context.Background()
				bf := teamstest.New(t)
				bf.SetMembers(sharedTeam, c.before...)
				clock := testkit.NewClock(testkit.T0)
				rs := replicas(t, dialect, bf, 2)
				for i, r := range rs {
					r.members.SetClock(clock.Now)
					if got := testkit.IsMember(t, r.members, c.user); got == c.member {
						t.Fatalf("replica %d: the user's membership before the change = %v", i, got)
					}
					for _, u := range stayed {
						if !testkit.IsMember(t, r.members, u) {
							t.Fatalf("replica %d: %s is not a member before the change", i, u)
						}
					}
				}
				after := stayed
				if c.member {
					after = append([]string{c.user}, stayed...)
				}
				bf.SetMembers(sharedTeam, after...)
				app := teams.NewApp(teams.AppConfig{Platform: rs[0].platform, Members: rs[0].members, Store: rs[0].store, Leads: rs[0].store,
					Dedup: rs[0].store, Logger: testkit.Quiet()})
				team := teamstest.Team{Tenant: "t1", ID: sharedTeam, Name: "Sales Team", BotID: "28:" + teamstest.AppID, ServiceURL: bf.ServiceURL()}
				if _, err := app.Handle(ctx, decoded(t, c.event(team))); err != nil {
					t.Fatal(err)
				}
				clock.Advance(cache.DefaultSharedEvery)
				lookups := memberLookups(bf)
				if got := testkit.IsMember(t, rs[1].members, c.user); got != c.member {
					t.Errorf("the other replica: the user's membership after the change = %v, want %v", got, c.member)
				}
				for _, u := range stayed {
					if !testkit.IsMember(t, rs[1].members, u) {
						t.Errorf("the other replica: %s lost sight of leads after another user's change", u)
					}
				}
				now := memberLookups(bf)
				for _, u := range append([]string{c.user}, stayed...) {
					want := 0
					if u == c.user {
						want = 1
					}
					if n := now[u] - lookups[u]; n != want {
						t.Errorf("the other replica asked the Bot Connector about %s %d times after %s's change, want %d", u, n, c.user, want)
					}
				}
			})
		}
	}
}

// decoded is activity as the app reads it from the Bot Framework.
func decoded(t *testing.T, activity map[string]any) *teams.Activity {
	t.Helper()
	raw, err := json.Marshal(activity)
	if err != nil {
		t.Fatal(err)
	}
	var act teams.Activity
	if err := json.Unmarshal(raw, &act); err != nil {
		t.Fatal(err)
	}
	return &act
}

// memberLookups counts the stand-in Bot Connector's member lookups
// (GET …/members/{user}) by user.
func memberLookups(bf *teamstest.Server) map[string]int {
	n := map[string]int{}
	for _, c := range bf.Calls() {
		if c.Op == "member" {
			n[c.UserID]++
		}
	}
	return n
}
