package teams_test

import (
	"context"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot/teams"
	"github.com/handoff/handoff/bot/teams/teamstest"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

func TestManagers(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		bf := teamstest.New(t)
		ctx := context.Background()
		if err := s.SaveTeamsConversation(ctx, handoff.TeamsConversation{ConversationID: "19:g@thread.tacv2", ServiceURL: bf.ServiceURL(), TenantID: "t1"}, time.Now()); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveTeamsUser(ctx, handoff.TeamsUser{ID: "29:aad", AADObjectID: "AAD-BOSS"}, time.Now()); err != nil {
			t.Fatal(err)
		}
		p := teams.NewPlatform(teams.NewConnector(teamstest.AppID, teamstest.AppSecret, bf.TokenURL(), nil, teamstest.ClientTimeout), s, "t1")
		byID := teams.NewManagers(p, []string{"29:boss", "aad-boss"})
		for user, want := range map[string]bool{"29:boss": true, "29:aad": true, "29:nobody": false} {
			if got, err := byID.IsManager(ctx, user); err != nil || got != want {
				t.Errorf("IsManager(%s) = %v, %v; want %v", user, got, err, want)
			}
		}
		// The fake's members API answers rep@example.com for everyone.
		byEmail := teams.NewManagers(p, []string{"REP@example.com"})
		if got, err := byEmail.IsManager(ctx, "29:any"); err != nil || !got {
			t.Errorf("by email: %v, %v", got, err)
		}
		if got, _ := teams.NewManagers(p, nil).IsManager(ctx, "29:boss"); got {
			t.Error("no managers configured, yet a manager")
		}
	})
}
