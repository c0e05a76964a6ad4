package teams_test

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/teams"
	"github.com/handoff/handoff/bot/teams/teamstest"
	"github.com/handoff/handoff/internal/cache"
	"github.com/handoff/handoff/internal/testkit"
	"github.com/handoff/handoff/storage/storagetest"
)

// Two replicas (two Apps) on one database: Teams changes a user's role
// and sends no event (a manager in TEAMS_MANAGERS made a guest of the
// tenant, or a member gone from the sales channel's team while no replica
// heard of it). Replica A's refresh of its 5-minute-old answer finds the
// change. Replica B, which asked a moment before and keeps its answer 5
// minutes, let the user act as before until its own answer ran out: now
// it refuses their action within cache.DefaultSharedEvery, asking the Bot
// Connector about that user alone; A's refresh of a user who did not
// change announces nothing.
func TestRoleChangeFoundOnRefreshReachesEveryReplica(t *testing.T) {
	const x = "29:1xena"
	stayed := []string{"29:1staying-ann", "29:1staying-bo"}
	cases := []struct {
		name     string
		managers []string                // TEAMS_MANAGERS
		verb     string                  // X's click, allowed before the change
		change   func(*teamstest.Server) // what Teams changed, without an event
		refusal  string                  // B's answer to the click after it
		lookups  int                     // B's member lookups of X for it
	}{
		{"manager made a guest", []string{x}, bot.ActionReassign, func(bf *teamstest.Server) { bf.SetGuests(x) }, teams.NotAMember, 1},
		// Their membership, then their role where they wrote (roles).
		{"member gone from the team", nil, teams.VerbShowCard, func(bf *teamstest.Server) { bf.SetMembers(sharedTeam, stayed...) }, bot.NotALeadReader, 2},
	}
	for _, dialect := range storagetest.Dialects {
		for _, c := range cases {
			t.Run(dialect+"/"+c.name, func(t *testing.T) {
				ctx := context.Background()
				bf := teamstest.New(t)
				bf.SetMembers(sharedTeam, append([]string{x}, stayed...)...)
				rs := replicas(t, dialect, bf, 2)
				lead := testkit.SaveSQL(t, rs[0].store, "role-refresh-1")
				policy := handoff.DefaultPolicy()
				clocks := []*testkit.Clock{testkit.NewClock(testkit.T0), testkit.NewClock(testkit.T0)}
				apps := make([]*teams.App, len(rs))
				refreshedA := rs[0].members.TrackFetches()
				for i, r := range rs {
					r.members.SetClock(clocks[i].Now)
					b := bot.New(bot.Config{Store: r.store, Policy: policy, Logger: testkit.Quiet(),
						Managers:     map[string]bot.Managers{teams.Name: teams.NewManagers(r.platform, c.managers)},
						SalesMembers: map[string]bot.SalesMembers{teams.Name: r.members}})
					apps[i] = teams.NewApp(teams.AppConfig{Bot: b, Leads: r.store, Store: r.store, Dedup: r.store, Platform: r.platform,
						Members: r.members, Policy: policy, Logger: testkit.Quiet()})
				}
				team := teamstest.Team{Tenant: "t1", ID: sharedTeam, Name: "Sales Team", BotID: "28:" + teamstest.AppID, ServiceURL: bf.ServiceURL()}
				click := func(app *teams.App) *teams.InvokeResponse {
					t.Helper()
					act := team.Activity("invoke", x, "Xena", sharedSales+";messageid=1001")
					act["name"] = "adaptiveCard/action"
					data := map[string]any{"action": c.verb, "value": strconv.FormatInt(lead.ID, 10)}
					act["value"] = map[string]any{"action": map[string]any{"type": "Action.Execute", "verb": c.verb, "data": data}, "trigger": "manual"}
					res, err := app.Handle(ctx, decoded(t, act))
					if err != nil {
						t.Fatal(err)
					}
					return res
				}
				for i, r := range rs {
					if res := click(apps[i]); res.StatusCode != 200 {
						t.Fatalf("replica %d: X's %s before the change answered %d %q", i, c.verb, res.StatusCode, invokeError(t, res))
					}
					for _, u := range stayed {
						if !testkit.IsMember(t, r.members, u) {
							t.Fatalf("replica %d: %s is not a member before the change", i, u)
						}
					}
				}
				stamp := func() int64 {
					t.Helper()
					n, err := rs[0].store.MembersStamp(ctx, "teams:members")
					if err != nil {
						t.Fatal(err)
					}
					return n
				}
				before := stamp()

				c.change(bf)
				clocks[0].Advance(5 * time.Minute)
				clocks[1].Advance(cache.DefaultSharedEvery)
				// A's next requests about X and about a user who stayed get
				// the old answers, and refresh them.
				for _, u := range []string{x, stayed[0]} {
					if !testkit.IsMember(t, rs[0].members, u) {
						t.Fatalf("replica A: %s's answer 5 minutes old is not the one it kept", u)
					}
				}
				refreshedA()
				if res := click(apps[0]); res.StatusCode != 403 {
					t.Errorf("replica A, which refreshed X's answer: X's %s answered %d, want 403", c.verb, res.StatusCode)
				}
				if n := stamp() - before; n != 1 {
					t.Errorf("replica A's refreshes of X (changed) and of %s (not) announced %d changes, want 1", stayed[0], n)
				}

				lookups := memberLookups(bf)
				res := click(apps[1])
				if res.StatusCode != 403 || invokeError(t, res) != c.refusal {
					t.Errorf("replica B, %v after A found X's change: X's %s answered %d %q, want 403 %q",
						cache.DefaultSharedEvery, c.verb, res.StatusCode, invokeError(t, res), c.refusal)
				}
				for _, u := range stayed {
					if !testkit.IsMember(t, rs[1].members, u) {
						t.Errorf("replica B: %s lost sight of leads after X's change", u)
					}
				}
				now := memberLookups(bf)
				for _, u := range append([]string{x}, stayed...) {
					want := 0
					if u == x {
						want = c.lookups
					}
					if n := now[u] - lookups[u]; n != want {
						t.Errorf("replica B asked the Bot Connector about %s %d times after X's change, want %d", u, n, want)
					}
				}
			})
		}
	}
}

// invokeError is the message of res, an invoke error response, as Teams
// reads it.
func invokeError(t *testing.T, res *teams.InvokeResponse) string {
	t.Helper()
	raw, err := json.Marshal(res.Value)
	if err != nil {
		t.Fatal(err)
	}
	var v struct{ Message string }
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return v.Message
}

// A replica whose refresh finds a user's change while the database takes
// no write cannot announce it then: it announces it at its next request,
// which it answers all the same.
func TestRoleChangeFoundOnRefreshAnnouncedLater(t *testing.T) {
	const x, ann = "29:1xena", "29:1staying-ann"
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			bf := teamstest.New(t)
			bf.SetMembers(sharedTeam, x, ann)
			r := replicas(t, dialect, bf, 1)[0]
			stamps := &refusingStamps{Stamps: r.store}
			r.members.Share(stamps)
			clock := testkit.NewClock(testkit.T0)
			r.members.SetClock(clock.Now)
			refreshed := r.members.TrackFetches()
			if !testkit.IsMember(t, r.members, x) {
				t.Fatal("X is not a member before the change")
			}
			bf.SetMembers(sharedTeam, ann)
			clock.Advance(5 * time.Minute)
			stamps.refuse.Store(true)
			if !testkit.IsMember(t, r.members, x) {
				t.Fatal("X's answer 5 minutes old is not the one kept")
			}
			refreshed()
			stamps.refuse.Store(false)
			before, err := r.store.MembersStamp(ctx, "teams:members")
			if err != nil {
				t.Fatal(err)
			}
			if testkit.IsMember(t, r.members, x) {
				t.Error("X, gone from the team, is a member after the refresh")
			}
			after, err := r.store.MembersStamp(ctx, "teams:members")
			if err != nil {
				t.Fatal(err)
			}
			if after-before != 1 {
				t.Errorf("the next request announced %d changes, want 1 (X's, found when it could not be announced)", after-before)
			}
		})
	}
}

// refusingStamps are stamps whose writes fail while refuse is set, as a
// database that takes no write.
type refusingStamps struct {
	cache.Stamps
	refuse atomic.Bool
}

func (s *refusingStamps) StampMembers(ctx context.Context, name, key string) (int64, error) {
	if s.refuse.Load() {
		return 0, errors.New("the database takes no write (test)")
	}
	return s.Stamps.StampMembers(ctx, name, key)
}
