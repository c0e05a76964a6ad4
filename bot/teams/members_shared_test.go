package teams_test

import (
	"context"
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
		p := teams.NewPlatform(teams.NewConnector(teamstest.AppID, teamstest.AppSecret, bf.TokenURL(), nil), s, "t1")
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
