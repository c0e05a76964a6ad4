package handlers_test

import (
	"context"
	"strings"
	"testing"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestTeamsRefusesForeignOrigins sends activities with valid Bot Framework
// tokens from outside our tenant, or from another Bot Framework channel:
// each is answered 403 and nothing of it is stored (no conversation, no
// user, no outbox message).
func TestTeamsRefusesForeignOrigins(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		e := newTeamsEnv(t, s, nil)
		e.bf.SetEndorsements("msteams", "webchat") // the token alone would pass
		ctx := context.Background()
		tests := []struct {
			name   string
			modify func(a map[string]any)
		}{
			{"ForeignTenant", func(a map[string]any) {
				a["channelData"].(map[string]any)["tenant"] = map[string]any{"id": "tenant-evil"}
				a["conversation"].(map[string]any)["tenantId"] = "tenant-evil"
			}},
			{"ForeignConversationTenant", func(a map[string]any) {
				a["conversation"].(map[string]any)["tenantId"] = "tenant-evil"
			}},
			{"NoTenant", func(a map[string]any) {
				delete(a["channelData"].(map[string]any), "tenant")
				delete(a["conversation"].(map[string]any), "tenantId")
			}},
			{"WebChat", func(a map[string]any) { a["channelId"] = "webchat" }},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				install := e.installActivity()
				command := e.activity("message", "29:mallory", "Mallory", "a:mallory")
				command["text"] = "leads open"
				for _, a := range []map[string]any{install, command} {
					tt.modify(a)
					if status, body := e.post(a, e.token()); status != 403 {
						t.Fatalf("%s activity: status = %d (%s), want 403", a["type"], status, body)
					}
				}
				if _, err := s.LatestTeamsConversation(ctx); handoff.ErrorCode(err) != handoff.ENOTFOUND {
					t.Errorf("a refused install stored a conversation: %v", err)
				}
				if _, err := s.TeamsUser(ctx, "29:mallory"); handoff.ErrorCode(err) != handoff.ENOTFOUND {
					t.Errorf("a refused message stored its sender: %v", err)
				}
				if st, err := s.OutboxStats(ctx); err != nil || st.Pending != 0 {
					t.Errorf("a refused message queued chat work: %+v, %v", st, err)
				}
			})
		}
		t.Run("OurTenantIsAccepted", func(t *testing.T) {
			a := e.installActivity()
			a["channelData"].(map[string]any)["tenant"] = map[string]any{"id": "TENANT-1"} // GUIDs compare case-insensitively
			if status, body := e.post(a, e.token()); status != 200 {
				t.Fatalf("status = %d (%s), want 200", status, body)
			}
		})
	})
}

// TestTeamsChannelNamePinned: the sales channel is configured by name
// ("Sales"). Once cards went there, renaming it and adding a channel of
// that name elsewhere in the tenant does not redirect the cards.
func TestTeamsChannelNamePinned(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		e := newTeamsEnv(t, s, nil)
		e.install()
		postedTo := func() []string {
			var out []string
			for _, c := range callsOf(e.bf, "create") {
				if c.ActivityID != "" {
					out = append(out, c.ConversationID)
				}
			}
			return out
		}
		e.newSQL("pin-1")
		e.deliver()
		event := func(eventType, teamID, team, channelID, channel string) {
			t.Helper()
			a := e.activity("conversationUpdate", "29:admin", "Admin", teamID)
			cd := a["channelData"].(map[string]any)
			cd["eventType"], cd["team"], cd["channel"] = eventType, map[string]any{"id": teamID, "name": team}, map[string]any{"id": channelID, "name": channel}
			if status, body := e.post(a, e.token()); status != 200 {
				t.Fatalf("%s: %d %s", eventType, status, body)
			}
		}
		event("channelRenamed", teamID, "Sales Team", salesID, "Leads")
		event("channelCreated", "19:partners@thread.tacv2", "Partners", "19:partner-sales@thread.tacv2", "Sales")
		e.newSQL("pin-2")
		e.deliver()
		got := postedTo()
		if len(got) != 2 || !strings.HasPrefix(got[0], salesID+";") || !strings.HasPrefix(got[1], salesID+";") {
			t.Fatalf("cards posted to %q, want both in %s", got, salesID)
		}
	})
}
