package handlers_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot/teams"
	"github.com/handoff/handoff/bot/teams/teamstest"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestTeamsLinkKeepsTheGroupIDAnEventCarries: a team stored before
// Handoff kept group ids, which Teams refuses to give the details of
// (404), has its links left out and held off on every replica. A
// person added to the team (teamMemberAdded), signed as the Bot
// Framework signs it, names the team's group (channelData.team.aadGroupId):
// it is kept on the team's General channel, and the next link on another
// replica, which never saw the event and was held off, is made from the
// store without asking Teams. An activity without the group id writes
// nothing, nor does one whose group id is stored already (the row's
// updated time stays), nor one from a team whose General channel was
// never stored (no row is made). Before, the person's event stored
// nothing and every replica's link stayed out until Teams answered.
func TestTeamsLinkKeepsTheGroupIDAnEventCarries(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		r := newLinkTeamRig(t, s, 1)
		// other is a second replica on the same store, which no activity reaches.
		other := teams.NewPlatform(teams.NewConnector(teamstest.AppID, teamstest.AppSecret, r.e.bf.TokenURL(), nil, teamstest.ClientTimeout), s, tenantID)
		other.Now = r.e.clock.Now
		otherLink := func(step string, linked bool, asks int) {
			t.Helper()
			r.linkOn(t, other, "other replica: "+step, linked, false, asks)
		}
		general := func() handoff.TeamsConversation {
			t.Helper()
			ref, err := s.TeamsConversation(ctx, r.tm.ID)
			if err != nil {
				t.Fatal(err)
			}
			return ref
		}
		unwritten := func(step string, want handoff.TeamsConversation) {
			t.Helper()
			if got := general(); got != want {
				t.Errorf("%s: the team's General channel was written:\n got %+v\nwant %+v", step, got, want)
			}
		}
		r.link(t, "refused", false, false, 1)
		otherLink("refused", false, 1)

		r.e.clock.Advance(time.Minute) // a write from now on shows in the row's updated time
		stored := general()
		r.post(t, r.quiet().MemberAdded("29:newcomer"))
		r.post(t, r.quiet().MemberRemoved("29:newcomer"))
		unwritten("events without the group id", stored)
		otherLink("after events without the group id", false, 0)

		r.post(t, r.tm.MemberAdded("29:newcomer"))
		if got := general(); got.GroupID != r.tm.GroupID || got.TeamName != stored.TeamName || !got.Updated.Equal(r.e.clock.Now().Truncate(time.Millisecond)) {
			t.Errorf("after a person added: the team's General channel = %+v; want group id %s kept, now", got, r.tm.GroupID)
		}
		otherLink("after a person added, on a replica the event did not reach", true, 0)
		r.link(t, "after a person added, on the replica it reached", true, false, 0)

		r.e.clock.Advance(time.Minute)
		stored = general()
		r.post(t, r.tm.MemberRemoved("29:newcomer"))
		r.post(t, r.tm.MemberAdded("29:another"))
		unwritten("events whose group id is stored", stored)

		stranger := r.tm
		stranger.ID = strings.Replace(r.tm.ID, "@", "stranger@", 1)
		r.post(t, stranger.MemberAdded("29:newcomer"))
		if ref, err := s.TeamsConversation(ctx, stranger.ID); handoff.ErrorCode(err) != handoff.ENOTFOUND {
			t.Errorf("a team never stored: TeamsConversation = %+v, %v; want ENOTFOUND, no row made", ref, err)
		}
	})
}
