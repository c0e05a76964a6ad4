package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/teams"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// A form submitted from a Teams card, as an Action.Execute invoke or an
// Action.Submit message, whose "form" is longer than handoff.MaxFormIDLen
// or none of Handoff's forms (bot.CheckFormID), or whose "state"
// (Handoff's own, sent back in the card's data) is longer than
// handoff.MaxFormStateLen or not as Handoff made it (its lead not a
// positive id, its channel longer than handoff.MaxChatIDLen or holding a
// control character), or a Reassign form whose picked owner is not a
// chat id, is refused 400 naming the field, as an activity's
// other invalid fields are, on both databases: before the Bot Connector
// is called and with nothing written (not the sender, not the activity's
// delivery, not the lead, its events or the outbox). The form as Handoff
// made it is saved.
func TestTeamsFormStateRefused(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		e := newTeamsEnv(t, s, nil)
		e.install()
		e.bf.SetMembers(teamID, ritaID)
		id := e.newSQL("form-state")
		if res := e.invoke(ritaID, "Rita", map[string]any{"action": bot.ActionClaim, "value": fmt.Sprint(id)}); res.StatusCode != 200 {
			t.Fatalf("claim: %s", res.raw)
		}
		e.deliver()
		state := func(lead any, channel string) string { return formState(t, lead, channel) }
		good := state(id, salesID)
		submit := func(form, state string) map[string]any {
			return map[string]any{"action": teams.VerbFormSubmit, "form": form, "state": state, "value": fmt.Sprint(id), "in_amount": "40000"}
		}
		reassign := func(owner string) map[string]any {
			return map[string]any{"action": teams.VerbFormSubmit, "form": bot.ActionReassign, "state": good, "value": fmt.Sprint(id), "in_owner": owner}
		}
		// Each case is sent both ways: as an invoke its data is at
		// value.action.data, as a message at value.
		invoke := func(user string, data map[string]any) map[string]any { return e.clickActivity(user, "Rob", data) }
		message := func(user string, data map[string]any) map[string]any {
			a := e.activity("message", user, "Rob", salesID+";messageid=1001")
			a["value"] = data
			return a
		}
		n := 0
		for _, way := range []struct {
			name, place string
			activity    func(user string, data map[string]any) map[string]any
		}{{"invoke", "value.action.data", invoke}, {"message", "value", message}} {
			for _, tt := range []struct {
				name       string
				data       map[string]any
				field, why string
			}{
				{"a channel too long", submit(bot.ActionWon, state(id, "19:"+strings.Repeat("x", handoff.MaxChatIDLen))), "state.channel", "longer than 300 characters"},
				{"a channel with a line break", submit(bot.ActionWon, state(id, salesID+"\nlevel=ERROR")), "state.channel", "control character U+000A"},
				{"lead 0", submit(bot.ActionWon, state(0, salesID)), "state.lead", "not a lead id"},
				{"no state", map[string]any{"action": teams.VerbFormSubmit, "form": bot.ActionWon, "value": fmt.Sprint(id)}, "state", "not a form's state"},
				{"state too long", submit(bot.ActionWon, good+strings.Repeat(" ", handoff.MaxFormStateLen)), "state", "longer than 3000 characters"},
				{"form too long", submit(strings.Repeat("f", handoff.MaxFormIDLen+1), good), "form", "longer than 255 characters"},
				{"a form none of Handoff's", submit("settings.save", good), "form", "not one of Handoff's forms"},
				{"a lead button's action as form", submit(bot.ActionClaim, good), "form", "not one of Handoff's forms"},
				{"no form", map[string]any{"action": teams.VerbFormSubmit, "state": good, "value": fmt.Sprint(id), "in_amount": "40000"}, "form", "not one of Handoff's forms"},
				{"a picked owner too long", reassign(strings.Repeat("a", handoff.MaxChatIDLen+1)), "in_owner", "longer than 300 characters"},
				{"a picked owner with NUL", reassign("00000000-0000-0000-0000-000000000001\x00"), "in_owner", "control character U+0000"},
				{"a picked owner with a line break", reassign("00000000-0000-0000-0000-000000000001\n"), "in_owner", "control character U+000A"},
			} {
				t.Run(way.name+"/"+tt.name, func(t *testing.T) {
					n++
					user := fmt.Sprintf("29:rob%d", n) // each a sender not stored yet
					before := writtenOf(t, s, id)
					calls := len(e.bf.Calls())
					status, body := e.post(way.activity(user, tt.data), e.token())
					field := way.place + "." + tt.field
					if status != http.StatusBadRequest || !strings.Contains(string(body), field) || !strings.Contains(string(body), tt.why) {
						t.Errorf("%d %s, want 400 naming %s: %s", status, body, field, tt.why)
					}
					if made := e.bf.Calls()[calls:]; len(made) != 0 {
						t.Errorf("%d calls to the Bot Connector (first %s), want none", len(made), made[0].Op)
					}
					if _, err := s.TeamsUser(ctx, user); handoff.ErrorCode(err) != handoff.ENOTFOUND {
						t.Errorf("the refused activity's sender was stored: %v", err)
					}
					if l := e.lead(id); l.Stage != handoff.StageClaimed || l.Owner.UserID != ritaID {
						t.Errorf("the lead is %s, owned by %q; want Rita's claim as it was", l.Stage, l.Owner.UserID)
					}
					if after := writtenOf(t, s, id); after != before {
						t.Errorf("events and outbox %+v, want %+v as before", after, before)
					}
				})
			}
		}
		if res := e.invoke(ritaID, "Rita", submit(bot.ActionWon, good)); res.StatusCode != 200 || e.lead(id).Stage != handoff.StageWon {
			t.Fatalf("the form as Handoff made it: %s, lead %s; want it won", res.raw, e.lead(id).Stage)
		}
	})
}
