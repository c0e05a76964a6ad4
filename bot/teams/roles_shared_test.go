package teams_test

import (
	"context"
	"testing"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot/teams"
	"github.com/handoff/handoff/bot/teams/teamstest"
	"github.com/handoff/handoff/internal/testkit"
	"github.com/handoff/handoff/storage/storagetest"
)

// A guest of the tenant outside the sales channel's team who wrote to the
// bot only in another team's channel (no personal chat with it) is a
// guest to every replica: one replica had the activity, and the other
// (or the same after a restart) asks their member record where they wrote,
// as stored, where it knew no conversation with them and took them for a
// full member (a manager could pick them as a lead's new owner there).
func TestGuestKnownToEveryReplica(t *testing.T) {
	const otherTeam, otherChannel, guest = "19:other-team@thread.tacv2", "19:other-news@thread.tacv2", "29:1outside-guest"
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			bf := teamstest.New(t)
			bf.SetMembers(sharedTeam, "29:1rep")
			bf.SetGuests(guest)
			rs := replicas(t, dialect, bf, 2)
			app := teams.NewApp(teams.AppConfig{Platform: rs[0].platform, Members: rs[0].members, Store: rs[0].store, Leads: rs[0].store,
				Dedup: rs[0].store, Logger: testkit.Quiet()})
			team := teamstest.Team{Tenant: "t1", ID: otherTeam, Name: "Other Team", BotID: "28:" + teamstest.AppID, ServiceURL: bf.ServiceURL()}
			if _, err := app.Handle(ctx, decoded(t, team.Activity("typing", guest, "Gail Guest", otherChannel))); err != nil {
				t.Fatal(err)
			}
			for i, r := range rs {
				guestToo, err := r.members.IsGuest(ctx, guest)
				if err != nil {
					t.Fatalf("replica %d: is the guest a guest: %v", i, err)
				}
				if !guestToo {
					t.Errorf("replica %d does not take the guest who wrote in another team's channel, to replica 0, for a guest", i)
				}
				if _, err := r.members.IsSalesMember(ctx, guest); handoff.ErrorCode(err) != handoff.EFORBIDDEN {
					t.Errorf("replica %d: the guest's IsSalesMember error = %v, want EFORBIDDEN", i, err)
				}
			}
		})
	}
}
