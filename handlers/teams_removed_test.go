package handlers_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestTeamsChannelLostIsWarned: the app removed from the sales team (the
// bot leaving the team's members, or an installationUpdate "remove") is
// logged as a warning naming the team, and nothing stored is forgotten, so
// adding the app back is enough; the sales channel (named "Sales") or the
// managers' channel (by id) deleted is a warning naming the setting to
// change, another channel deleted is not. Each loss calls OnChannelLost;
// the app added to the team calls OnChannelBack with the team's id (where
// Teams refused posts) and with the managers' channel's, set by an id never
// stored (its team not known, its refusals name it), and a channel restored
// with the channel's id.
func TestTeamsChannelLostIsWarned(t *testing.T) {
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
		if n := e.lost.Load(); n != 2 {
			t.Fatalf("OnChannelLost called %d times after two removals, want 2", n)
		}

		e.install()
		deleted := func(id, name string) string {
			t.Helper()
			before := len(e.logs.String())
			if status, body := e.post(e.team().ChannelDeleted(id, name), e.token()); status != 200 {
				t.Fatalf("%s deleted: HTTP %d %s", name, status, body)
			}
			return e.logs.String()[before:]
		}
		if logs := deleted("19:random@thread.tacv2", "Random"); strings.Contains(logs, "level=WARN") || e.lost.Load() != 2 {
			t.Errorf("another channel deleted was warned of:\n%s", logs)
		}
		for _, c := range []struct{ id, name, want string }{
			{salesID, "Sales", "the sales channel was deleted: Handoff cannot post there until it is restored or TEAMS_SALES_CHANNEL names another channel"},
			{managersID, "Managers", "the managers' channel was deleted: Handoff cannot post there until it is restored or TEAMS_MANAGER_CHANNEL names another channel"},
		} {
			if logs := deleted(c.id, c.name); !strings.Contains(logs, c.want) || !strings.Contains(logs, "level=WARN") {
				t.Errorf("%s deleted: no warning naming the setting:\n%s", c.name, logs)
			}
		}
		if n := e.lost.Load(); n != 4 {
			t.Errorf("OnChannelLost called %d times, want 4", n)
		}
		if status, body := e.post(e.team().ChannelRestored(salesID, "Sales"), e.token()); status != 200 {
			t.Fatalf("Sales restored: HTTP %d %s", status, body)
		}
		if got, want := e.back.list(), []string{teamID, managersID, teamID, managersID, salesID}; !slices.Equal(got, want) {
			t.Errorf("OnChannelBack calls = %v, want %v (two installs, then the Sales channel restored)", got, want)
		}
	})
}
