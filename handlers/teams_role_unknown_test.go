package handlers_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestTeamsSubmitWhenTheRoleCannotBeRead: an Action.Submit click (a
// message activity with a value, from a client without Universal
// Actions) is for those who may see leads, which the Bot Connector tells.
// When it does not answer (503), the click was answered 500: Bot Framework
// delivered it again and the user saw nothing unless a delivery got
// through. It is answered 200 now, does nothing, and the user is told in
// their chat with the bot that the click could not be checked and to try
// again in a minute (teams.RoleUnknown, as an Action.Execute click is
// told on its card).
func TestTeamsSubmitWhenTheRoleCannotBeRead(t *testing.T) {
	tests := []struct {
		name, action string
	}{
		{"claim", bot.ActionClaim}, // recorded with what it writes (claimsOnce)
		{"not a fit", bot.ActionNotAFit},
	}
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		e := newTeamsEnv(t, s, nil)
		e.install()
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				id := e.newSQL(fmt.Sprintf("role-%d", i))
				e.deliver()
				user := fmt.Sprintf("29:unknown-%d", i)
				click := e.activity("message", user, "Ulla Unknown", salesID+";messageid=99")
				click["replyToId"] = "99"
				click["value"] = map[string]any{"action": tt.action, "value": fmt.Sprint(id)}

				e.bf.Unavailable(1000, "") // the Bot Connector does not answer
				status, body := e.post(click, e.token())
				e.bf.Unavailable(0, "")
				if status != 200 {
					t.Fatalf("click: HTTP %d %s, want 200 (Bot Framework would deliver it again)", status, body)
				}
				if l := e.lead(id); !l.Owner.IsZero() || l.Stage != "sql" {
					t.Fatalf("lead %s owned by %+v, want an SQL nobody claimed", l.Stage, l.Owner)
				}
				before := len(e.bf.Calls())
				e.deliver()
				var told []string
				for _, c := range e.bf.Calls()[before:] {
					if strings.Contains(cardText(c), "could not read your role") && strings.Contains(cardText(c), "try again in a minute") {
						told = append(told, c.Op+" "+c.ConversationID)
					}
				}
				if len(told) != 1 || strings.Contains(told[0], salesID) {
					t.Fatalf("the user was told %v, want once, in their chat with the bot; calls %+v", told, e.bf.Calls()[before:])
				}
			})
		}
	})
}
