package handlers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// In Teams, private notices arrive in the user's one-to-one chat with the
// bot as messages with an id: erasing a lead updates a notice that named
// it (Bob's "too late") to the erased view, as it does the owner's DM.
func TestTeamsEraseUpdatesPrivateNotices(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		e := newTeamsEnv(t, s, nil)
		ctx := context.Background()
		e.install()
		id := e.newSQL("erase-t1")
		e.deliver()
		e.invoke(ritaID, "Rita Rep", map[string]any{"action": bot.ActionClaim, "value": fmt.Sprint(id)})
		e.deliver()
		e.invoke(bobID, "Bob", map[string]any{"action": bot.ActionClaim, "value": fmt.Sprint(id)})
		e.deliver()
		var tooLate, dm string
		for _, c := range callsOf(e.bf, "send") {
			switch text := cardText(c); {
			case strings.Contains(text, "Too late") && strings.Contains(text, "Acme erase-t1"):
				tooLate = c.ActivityID
			case strings.Contains(text, "You claimed Acme erase-t1"):
				dm = c.ActivityID
			}
		}
		if tooLate == "" || dm == "" {
			t.Fatalf("too-late notice %q, owner DM %q: want both sent", tooLate, dm)
		}
		if err := s.ForgetLead(ctx, "erase-t1", handoff.DefaultPolicy(), e.clock.Now()); err != nil {
			t.Fatal(err)
		}
		e.deliver()
		updated := map[string]string{}
		for _, c := range callsOf(e.bf, "update") {
			updated[c.ActivityID] = cardText(c)
		}
		for name, activity := range map[string]string{"too-late notice": tooLate, "owner DM": dm} {
			text, ok := updated[activity]
			switch {
			case !ok:
				t.Errorf("the %s was not updated", name)
			case strings.Contains(text, "Acme erase-t1") || strings.Contains(text, "Ann Jensen") || !strings.Contains(text, "erased"):
				t.Errorf("the %s now shows %s, want the erased view", name, text)
			}
		}
	})
}
