package handlers_test

import (
	"context"
	"strings"
	"testing"

	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestTeamsAppRemovedIsLogged: the app removed from the sales team (the
// bot leaving the team's members, or an installationUpdate "remove") is
// logged as a warning naming the team, and nothing stored is forgotten, so
// adding the app back is enough.
func TestTeamsAppRemovedIsLogged(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		e := newTeamsEnv(t, s, nil)
		e.install()
		uninstalled := e.activity("installationUpdate", "29:admin", "Admin", teamID)
		uninstalled["action"] = "remove"
		for name, a := range map[string]map[string]any{"bot left the team": e.team().Removed(), "installationUpdate remove": uninstalled} {
			before := strings.Count(e.logs.String(), "the app was removed from a team")
			if status, body := e.post(a, e.token()); status != 200 {
				t.Fatalf("%s: HTTP %d %s", name, status, body)
			}
			logs := e.logs.String()
			if strings.Count(logs, "the app was removed from a team") != before+1 || !strings.Contains(logs, `team="Sales Team"`) ||
				!strings.Contains(logs, "level=WARN") {
				t.Fatalf("%s: no warning naming the team:\n%s", name, logs)
			}
		}
		if ref, err := s.TeamsConversation(context.Background(), "Sales Team/Sales"); err != nil || ref.ConversationID != salesID {
			t.Fatalf("the Sales channel after the removal = %+v, %v; want it kept", ref, err)
		}
	})
}
