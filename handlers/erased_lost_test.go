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

// TestErasedClaimedLeadClosedByAManager: a claimed lead erased and then
// left by its owner (in Slack, their account deactivated: a signed
// user_change) stays claimed by them, and its card, updated at the
// erasure, has Lost beside Log contact. A manager's click on Lost opens
// the Lost form naming the lead by Handoff's id, never its anonymous
// external id, and its submission closes the lead as lost (its owner
// kept, as for any loss) and updates the card to the closed one, in Slack
// and in Teams.
func TestErasedClaimedLeadClosedByAManager(t *testing.T) {
	checkLost := func(t *testing.T, l *handoff.Lead, owner string) {
		t.Helper()
		if l.Stage != handoff.StageLost || l.Owner.UserID != owner || l.Reason != "not reachable" || l.ErasedAt == nil {
			t.Errorf("lead = %s owned by %q for %q, erased %v; want the erased lead lost by %s for %q", l.Stage, l.Owner.UserID, l.Reason, l.ErasedAt, owner, "not reachable")
		}
	}
	checkForm := func(t *testing.T, form string, id int64) {
		t.Helper()
		if want := fmt.Sprintf("Close lead %d (personal data erased) as lost.", id); !strings.Contains(form, want) || strings.Contains(form, handoff.ErasedIDPrefix) {
			t.Errorf("the Lost form is %s, want it to say %q and no anonymous id", form, want)
		}
	}
	t.Run("slack", func(t *testing.T) {
		storagetest.Each(t, func(t *testing.T, s *storage.Store) {
			ctx := context.Background()
			r := newSlackRig(t, s, nil)
			l := r.announced(t, "gone-lost-s")
			if status, body := r.click(t, "UREP", bot.ActionClaim, l.ID); status != http.StatusOK {
				t.Fatalf("claim click = %d %s", status, body)
			}
			r.drain(t)
			if err := s.ForgetLead(ctx, "gone-lost-s", handoff.DefaultPolicy(), time.Now().UTC()); err != nil {
				t.Fatal(err)
			}
			r.drain(t)
			deactivated := `{"type":"event_callback","team_id":"T0001","event_id":"EvGone1","event_time":1700000000,"event":{"type":"user_change","user":{"id":"UREP","team_id":"T0001","deleted":true,"profile":{}}}}`
			if status, body := r.send(t, "/slack/events", signingSecret, time.Now(), deactivated); status != http.StatusOK {
				t.Fatalf("user_change = %d %s", status, body)
			}
			r.drain(t)
			if got := r.lead(t, l.ID); got.Stage != handoff.StageClaimed || got.Owner.UserID != "UREP" {
				t.Fatalf("after the owner's deactivation the lead is %s owned by %q, want still claimed by UREP", got.Stage, got.Owner.UserID)
			}
			if card := salesCardUpdate(r); !strings.Contains(card, bot.ActionLost) || !strings.Contains(card, bot.ActionLogContact) {
				t.Fatalf("the erased claimed card is %s, want Lost and Log contact", card)
			}

			views := len(r.slack.Calls("views.open"))
			if status, body := r.click(t, "UBOSS", bot.ActionLost, l.ID); status != http.StatusOK {
				t.Fatalf("the manager's Lost click = %d %s", status, body)
			}
			opened := r.slack.Calls("views.open")[views:]
			if len(opened) != 1 {
				t.Fatalf("views opened = %d, want the Lost form", len(opened))
			}
			form, _ := json.Marshal(opened[0].JSON["view"])
			checkForm(t, string(form), l.ID)
			state := fmt.Sprintf(`{"lead":%d,"channel":%q}`, l.ID, salesChannel)
			submit := slacktest.SubmitPayload("UBOSS", bot.ActionLost, state, map[string]string{"select:reason": "not reachable"})
			if status, body := r.send(t, "/slack/interactions", signingSecret, time.Now(), submit); status != http.StatusOK || body != "" {
				t.Fatalf("the Lost form = %d %q, want it closed", status, body)
			}
			r.drain(t)
			checkLost(t, r.lead(t, l.ID), "UREP")
			if card := salesCardUpdate(r); !strings.Contains(card, "was lost") || !strings.Contains(card, "not reachable") {
				t.Errorf("the card after the loss is %s, want the lost card with its reason", card)
			}
		})
	})
	t.Run("teams", func(t *testing.T) {
		storagetest.Each(t, func(t *testing.T, s *storage.Store) {
			e := newTeamsEnv(t, s, nil)
			e.install()
			id := e.newSQL("gone-lost-t")
			e.deliver()
			e.invoke(bobID, "Bob", map[string]any{"action": bot.ActionClaim, "value": fmt.Sprint(id)})
			e.deliver()
			before := len(callsOf(e.bf, "update"))
			if err := s.ForgetLead(context.Background(), "gone-lost-t", handoff.DefaultPolicy(), e.clock.Now()); err != nil {
				t.Fatal(err)
			}
			e.deliver()
			updates := callsOf(e.bf, "update")[before:]
			if len(updates) == 0 {
				t.Fatal("the card was not updated at the erasure")
			}
			var card string
			for _, u := range updates {
				if text := cardText(u); strings.Contains(text, "Claimed by") {
					card = text
				}
			}
			if !strings.Contains(card, bot.ActionLost) || !strings.Contains(card, bot.ActionLogContact) {
				t.Fatalf("the erased claimed card is %s, want Lost and Log contact", card)
			}

			res := e.invoke(managerID, "Boss", map[string]any{"action": bot.ActionLost, "value": fmt.Sprint(id)})
			var form formCard
			if err := json.Unmarshal(res.Value, &form); err != nil {
				t.Fatalf("the manager's Lost click answered %s: %v", res.raw, err)
			}
			checkForm(t, res.raw, id)
			e.invoke(managerID, "Boss", form.submit(map[string]string{"reason": "not reachable"}))
			checkLost(t, e.lead(id), bobID)
			n := len(callsOf(e.bf, "update"))
			e.deliver()
			lost := false
			for _, u := range callsOf(e.bf, "update")[n:] {
				lost = lost || strings.Contains(cardText(u), "not reachable")
			}
			if !lost {
				t.Errorf("the channel's card was not updated to the lost card")
			}
		})
	})
}

// salesCardUpdate is the last chat.update of a message in the sales
// channel (a lead's card), its form and JSON body, "" when none.
func salesCardUpdate(r *slackRig) string {
	card := ""
	for _, u := range r.slack.Calls("chat.update") {
		if u.Param("channel") == salesChannel {
			raw, _ := json.Marshal(map[string]any{"form": u.Form, "json": u.JSON})
			card = string(raw)
		}
	}
	return card
}
