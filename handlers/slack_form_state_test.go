package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// A form submission (view_submission) whose view.callback_id is longer
// than Slack's 255 characters or none of Handoff's forms (bot.CheckFormID:
// Handoff opens no other modal), or whose view.private_metadata (the
// form's state, Handoff's own, sent back by Slack) is longer than Slack's
// 3,000 or not as Handoff made it (not JSON, its lead not a positive id,
// its channel longer than handoff.MaxChatIDLen or holding a control
// character), is refused 400 naming the field, on both databases, before
// Slack is asked anything (the workspace check's users.info, for a user
// it has not seen) and with nothing written: the lead, its events and the
// outbox as they were. The form as Handoff made it is saved.
func TestSlackFormStateRefused(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		r := newSlackRig(t, s, nil)
		l := r.announced(t, "form-state")
		if status, body := r.click(t, "UREP", bot.ActionClaim, l.ID); status != http.StatusOK {
			t.Fatalf("claim: %d %s", status, body)
		}
		r.drain(t)
		state := func(lead any, channel string) string { return formState(t, lead, channel) }
		good := state(l.ID, salesChannel)
		amount := map[string]string{"amount": "40000"}
		for i, tt := range []struct {
			name, callbackID, metadata string
			field, why                 string // "" for a form saved
		}{
			{"a channel too long", bot.ActionWon, state(l.ID, "C"+strings.Repeat("x", handoff.MaxChatIDLen)),
				"view.private_metadata.channel", "longer than 300 characters"},
			{"a channel with a line break", bot.ActionWon, state(l.ID, salesChannel+"\nlevel=ERROR"),
				"view.private_metadata.channel", "control character U+000A"},
			{"a channel with NUL", bot.ActionWon, state(l.ID, salesChannel+"\x00"), "view.private_metadata.channel", "control character U+0000"},
			{"lead 0", bot.ActionWon, state(0, salesChannel), "view.private_metadata.lead", "not a lead id"},
			{"no lead", bot.ActionWon, fmt.Sprintf(`{"channel":%q}`, salesChannel), "view.private_metadata.lead", "not a lead id"},
			{"not JSON", bot.ActionWon, fmt.Sprint(l.ID), "view.private_metadata", "not a form's state"},
			{"private_metadata too long", bot.ActionWon, good + strings.Repeat(" ", handoff.MaxFormStateLen),
				"view.private_metadata", "longer than 3000 characters"},
			{"callback_id too long", strings.Repeat("c", handoff.MaxFormIDLen+1), good, "view.callback_id", "longer than 255 characters"},
			{"a callback_id none of Handoff's forms", "settings.save", good, "view.callback_id", "not one of Handoff's forms"},
			{"a lead button's action as callback_id", bot.ActionClaim, good, "view.callback_id", "not one of Handoff's forms"},
			{"no callback_id", "", good, "view.callback_id", "not one of Handoff's forms"},
			{"as Handoff made it", bot.ActionWon, good, "", ""},
		} {
			t.Run(tt.name, func(t *testing.T) {
				user := fmt.Sprintf("UREP%d", i) // a user the workspace check has not seen
				if tt.field == "" {
					user = "UREP"
				}
				before := writtenOf(t, s, l.ID)
				calls := len(r.slack.Calls(""))
				status, body := r.send(t, "/slack/interactions", signingSecret, time.Now(), slacktest.SubmitPayload(user, tt.callbackID, tt.metadata, amount))
				if tt.field == "" {
					if status != http.StatusOK || r.lead(t, l.ID).Stage != handoff.StageWon {
						t.Fatalf("%d %s, lead %s; want 200 and the lead won", status, body, r.lead(t, l.ID).Stage)
					}
					return
				}
				if status != http.StatusBadRequest || !strings.Contains(body, tt.field) || !strings.Contains(body, tt.why) {
					t.Errorf("%d %s, want 400 naming %s: %s", status, body, tt.field, tt.why)
				}
				if made := r.slack.Calls("")[calls:]; len(made) != 0 {
					t.Errorf("%d calls to Slack (first %s), want none", len(made), made[0].Method)
				}
				if got := r.lead(t, l.ID); got.Stage != handoff.StageClaimed || got.Owner.UserID != "UREP" {
					t.Errorf("the lead is %s, owned by %q; want UREP's claim as it was", got.Stage, got.Owner.UserID)
				}
				if after := writtenOf(t, s, l.ID); after != before {
					t.Errorf("events and outbox %+v, want %+v as before", after, before)
				}
			})
		}
	})
}

// formState is a form's state as bot.Bot makes it: the lead and the
// channel the form was opened from.
func formState(t *testing.T, lead any, channel string) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{"lead": lead, "channel": channel})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// written is what a refused request leaves as it was: a lead's events
// and the outbox's counts.
type written struct {
	events        int
	pending, dead int64
}

// writtenOf is what the store holds of lead id's events and the outbox.
func writtenOf(t *testing.T, s *storage.Store, id int64) written {
	t.Helper()
	events, err := s.Events(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.OutboxStats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return written{events: len(events), pending: st.Pending, dead: st.Dead}
}
