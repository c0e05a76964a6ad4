package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// A Teams user whose ids are as long as handoff.MaxChatIDLen claims a
// lead from its card on both databases alike (PostgreSQL's owner column
// of 100 characters and actor column of 200 failed the claim, and its
// Entra id column of 100 the user's record); an activity with an id,
// name or service URL longer than the store keeps, or an id holding a
// control character (handoff.CheckChatID: a line break, NUL), is
// refused 400 naming the field, and nothing of it is stored. A name may
// hold any text.
func TestTeamsIDSizes(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		e := newTeamsEnv(t, s, nil)
		ctx := context.Background()
		e.install()
		id := e.newSQL("long-ids")
		e.deliver()
		user := "29:" + strings.Repeat("L", handoff.MaxChatIDLen-3)
		aad := strings.Repeat("a", handoff.MaxChatIDLen)
		click := e.clickActivity(user, "Lena Long", map[string]any{"action": bot.ActionClaim, "value": fmt.Sprint(id)})
		click["from"].(map[string]any)["aadObjectId"] = aad
		if res := e.invokeActivity(click); res.StatusCode != 200 || !strings.Contains(res.raw, "Lena Long") {
			t.Fatalf("claim by the long ids: %s", res.raw)
		}
		if l := e.lead(id); l.Stage != handoff.StageClaimed || l.Owner.UserID != user {
			t.Fatalf("lead after the claim: %s, owner %q", l.Stage, l.Owner.UserID)
		}
		if u, err := s.TeamsUser(ctx, user); err != nil || u.AADObjectID != aad {
			t.Fatalf("the user is not remembered whole: %+v, %v", u, err)
		}

		over := strings.Repeat("O", handoff.MaxChatIDLen+1)
		set := func(path ...string) func(a map[string]any, v any) {
			return func(a map[string]any, v any) {
				m := a
				for _, k := range path[:len(path)-1] {
					if _, ok := m[k]; !ok {
						m[k] = map[string]any{}
					}
					m = m[k].(map[string]any)
				}
				m[path[len(path)-1]] = v
			}
		}
		for i, tt := range []struct {
			field string
			set   func(a map[string]any, v any)
			v     any
			why   string
		}{
			{"from.id", set("from", "id"), "29:" + over, "longer than"},
			{"from.aadObjectId", set("from", "aadObjectId"), over, "longer than"},
			{"from.name", set("from", "name"), strings.Repeat("N", handoff.MaxChatNameLen+1), "longer than"},
			{"conversation.id", set("conversation", "id"), "a:" + over, "longer than"},
			{"serviceUrl", set("serviceUrl"), "https://smba.example/" + strings.Repeat("s", handoff.MaxServiceURLLen), "longer than"},
			{"channelData.team.id", set("channelData", "team", "id"), "19:" + over, "longer than"},
			{"channelData.team.name", set("channelData", "team", "name"), strings.Repeat("T", handoff.MaxChatNameLen+1), "longer than"},
			{"channelData.team.aadGroupId", set("channelData", "team", "aadGroupId"), over, "longer than"},
			{"channelData.channel.id", set("channelData", "channel", "id"), "19:" + over, "longer than"},
			{"membersAdded[1].id", set("membersAdded"), []any{map[string]any{"id": "29:ok"}, map[string]any{"id": "29:" + over}}, "longer than"},
			{"entities[].mentioned.id", set("entities"), []any{map[string]any{"type": "mention", "text": "<at>Olga</at>", "mentioned": map[string]any{"id": "29:" + over, "name": "Olga"}}}, "longer than"},
			// Ids hold no control character (handoff.CheckChatID);
			// names may hold any text.
			{"from.id", set("from", "id"), "29:sam\nlevel=ERROR", "control character U+000A"},
			{"from.id", set("from", "id"), "29:sam\x00", "control character U+0000"},
			{"conversation.id", set("conversation", "id"), teamID + "\nlevel=ERROR", "control character U+000A"},
			{"conversation.id", set("conversation", "id"), teamID + "\x00", "control character U+0000"},
			{"recipient.id", set("recipient", "id"), "28:bot\r", "control character U+000D"},
			{"channelData.channel.id", set("channelData", "channel", "id"), teamID + "\t", "control character U+0009"},
			{"membersAdded[0].id", set("membersAdded"), []any{map[string]any{"id": "29:olga\x00"}}, "control character U+0000"},
		} {
			// The sender is known by an Entra id of the case's own, which
			// finds what was remembered of it whatever its other ids.
			aad := fmt.Sprintf("aad-sizes-%d", i)
			a := e.activity("conversationUpdate", "29:sam", "Sam", teamID)
			a["from"].(map[string]any)["aadObjectId"] = aad
			tt.set(a, tt.v)
			status, body := e.post(a, e.token())
			if status != http.StatusBadRequest || !strings.Contains(string(body), tt.field) || !strings.Contains(string(body), tt.why) {
				t.Errorf("%s %q: %d %s, want 400 naming it: %s", tt.field, tt.v, status, body, tt.why)
			}
			if _, err := s.TeamsUser(ctx, aad); tt.field != "from.aadObjectId" && handoff.ErrorCode(err) != handoff.ENOTFOUND {
				t.Errorf("%s %q: the refused activity's sender was stored: %v", tt.field, tt.v, err)
			}
		}
		if _, err := s.TeamsUser(ctx, "29:sam"); handoff.ErrorCode(err) != handoff.ENOTFOUND {
			t.Errorf("a refused activity's sender was stored: %v", err)
		}
		named := e.activity("conversationUpdate", "29:nina", "Nina\tNorth", teamID) // a name may hold any text
		if status, body := e.post(named, e.token()); status != http.StatusOK {
			t.Errorf("a name with a tab: %d %s, want 200", status, body)
		}
	})
}
