package storage_test

import (
	"context"
	"testing"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

func TestTeamsConversations(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		general := handoff.TeamsConversation{ConversationID: "19:team@thread.tacv2", ServiceURL: "https://smba.example/emea/", TenantID: "t1",
			ChannelID: "19:team@thread.tacv2", ChannelName: "General", TeamID: "19:team@thread.tacv2", TeamName: "Sales Team", BotID: "28:bot"}
		sales := handoff.TeamsConversation{ConversationID: "19:sales@thread.tacv2", ServiceURL: "https://smba.example/emea/", TenantID: "t1",
			ChannelID: "19:sales@thread.tacv2", ChannelName: "Sales", TeamID: "19:team@thread.tacv2", TeamName: "Sales Team"}
		for _, c := range []handoff.TeamsConversation{general, sales} {
			if err := s.SaveTeamsConversation(ctx, c, t0); err != nil {
				t.Fatal(err)
			}
		}

		t.Run("ByIDNameAndTeam", func(t *testing.T) {
			for _, key := range []string{"19:sales@thread.tacv2", "19:sales@thread.tacv2;messageid=123", "sales", "#Sales", "Sales Team/Sales", "sales team/SALES"} {
				got, err := s.TeamsConversation(ctx, key)
				if err != nil || got.ConversationID != sales.ConversationID {
					t.Errorf("TeamsConversation(%q) = %+v, %v", key, got, err)
				}
			}
			if got, err := s.TeamsConversation(ctx, "General"); err != nil || got.ConversationID != general.ConversationID {
				t.Errorf("General = %+v, %v", got, err)
			}
		})

		t.Run("Unknown", func(t *testing.T) {
			for _, key := range []string{"", "Marketing", "Other Team/Sales", "19:nope@thread.tacv2"} {
				if _, err := s.TeamsConversation(ctx, key); handoff.ErrorCode(err) != handoff.ENOTFOUND {
					t.Errorf("TeamsConversation(%q): %v, want ENOTFOUND", key, err)
				}
			}
		})

		t.Run("UpsertKeepsKnownFields", func(t *testing.T) {
			later := t0.Add(1e9)
			if err := s.SaveTeamsConversation(ctx, handoff.TeamsConversation{ConversationID: sales.ConversationID + ";messageid=9", ServiceURL: "https://smba.example/amer/"}, later); err != nil {
				t.Fatal(err)
			}
			got, err := s.TeamsConversation(ctx, "Sales")
			if err != nil {
				t.Fatal(err)
			}
			if got.ServiceURL != "https://smba.example/amer/" || got.ChannelName != "Sales" || got.TeamName != "Sales Team" || got.TenantID != "t1" || !got.Updated.Equal(later) {
				t.Fatalf("after partial upsert: %+v", got)
			}
			latest, err := s.LatestTeamsConversation(ctx)
			if err != nil || latest.ConversationID != sales.ConversationID {
				t.Fatalf("latest = %+v, %v", latest, err)
			}
		})

		t.Run("Invalid", func(t *testing.T) {
			if err := s.SaveTeamsConversation(ctx, handoff.TeamsConversation{ConversationID: "19:x"}, t0); handoff.ErrorCode(err) != handoff.EINVALID {
				t.Fatalf("without service URL: %v", err)
			}
		})
	})
}

func TestTeamsUsers(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		if _, err := s.TeamsUser(ctx, "29:rita"); handoff.ErrorCode(err) != handoff.ENOTFOUND {
			t.Fatalf("unknown user: %v", err)
		}
		if err := s.SaveTeamsUser(ctx, handoff.TeamsUser{ID: "29:rita", AADObjectID: "aad-rita", Name: "Rita", TenantID: "t1", ServiceURL: "https://smba.example/"}, t0); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveTeamsUser(ctx, handoff.TeamsUser{ID: "29:rita", DMConversationID: "a:dm"}, t0); err != nil {
			t.Fatal(err)
		}
		for _, key := range []string{"29:rita", "aad-rita"} {
			u, err := s.TeamsUser(ctx, key)
			if err != nil || u.ID != "29:rita" || u.Name != "Rita" || u.DMConversationID != "a:dm" || u.ServiceURL != "https://smba.example/" {
				t.Errorf("TeamsUser(%q) = %+v, %v", key, u, err)
			}
		}
		if err := s.SaveTeamsUser(ctx, handoff.TeamsUser{}, t0); handoff.ErrorCode(err) != handoff.EINVALID {
			t.Fatalf("user without id: %v", err)
		}
	})
}
