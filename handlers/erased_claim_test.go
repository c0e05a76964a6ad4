package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestErasedSQLCannotBeClaimed: erasing an unclaimed SQL updates its card
// to one without Claim (Not a fit stays), and a click on Claim (an older
// copy of the card) is answered privately with the refusal naming the
// lead as erased, and changes nothing, in Slack and in Teams.
func TestErasedSQLCannotBeClaimed(t *testing.T) {
	want := func(id int64) string {
		return fmt.Sprintf("Lead %d (personal data erased) cannot be claimed", id)
	}
	checkLead := func(t *testing.T, s *storage.Store, id int64) {
		t.Helper()
		l, err := s.Lead(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if l.Stage != handoff.StageSQL || !l.Owner.IsZero() || l.ErasedAt == nil {
			t.Errorf("lead after the click: %s owned by %+v, erased %v; want the erased sql unclaimed", l.Stage, l.Owner, l.ErasedAt)
		}
	}
	checkCard := func(t *testing.T, updates []string) {
		t.Helper()
		if len(updates) == 0 {
			t.Fatal("the card was not updated at the erasure")
		}
		card := updates[len(updates)-1]
		if strings.Contains(card, bot.ActionClaim) || !strings.Contains(card, bot.ActionNotAFit) || !strings.Contains(card, "cannot be claimed") {
			t.Errorf("the erased SQL's card is %s, want Not a fit and no Claim", card)
		}
	}
	t.Run("slack", func(t *testing.T) {
		storagetest.Each(t, func(t *testing.T, s *storage.Store) {
			r := newSlackRig(t, s, nil)
			l := r.announced(t, "gone-s")
			before := len(r.slack.Calls("chat.update"))
			if err := s.ForgetLead(context.Background(), "gone-s", time.Now().UTC()); err != nil {
				t.Fatal(err)
			}
			r.drain(t)
			var updates []string
			for _, c := range r.slack.Calls("chat.update")[before:] {
				raw, _ := json.Marshal(map[string]any{"form": c.Form, "json": c.JSON})
				updates = append(updates, string(raw))
			}
			checkCard(t, updates)
			if status, body := r.click(t, "UREP", bot.ActionClaim, l.ID); status != 200 {
				t.Fatalf("click = %d %s", status, body)
			}
			r.drain(t)
			notices := ephemeralsTo(r.slack.Calls("chat.postEphemeral"), "UREP")
			if len(notices) != 1 || !strings.Contains(notices[0], want(l.ID)) {
				t.Errorf("notices to the rep %q, want one saying %q", notices, want(l.ID))
			}
			checkLead(t, s, l.ID)
		})
	})
	t.Run("teams", func(t *testing.T) {
		storagetest.Each(t, func(t *testing.T, s *storage.Store) {
			e := newTeamsEnv(t, s, nil)
			e.install()
			id := e.newSQL("gone-t")
			e.deliver()
			before := len(callsOf(e.bf, "update"))
			if err := s.ForgetLead(context.Background(), "gone-t", e.clock.Now()); err != nil {
				t.Fatal(err)
			}
			e.deliver()
			var updates []string
			for _, c := range callsOf(e.bf, "update")[before:] {
				updates = append(updates, cardText(c))
			}
			checkCard(t, updates)
			sent := len(callsOf(e.bf, "send"))
			e.invoke(bobID, "Bob", map[string]any{"action": bot.ActionClaim, "value": fmt.Sprint(id)})
			e.deliver()
			var notices []string
			for _, c := range callsOf(e.bf, "send")[sent:] {
				notices = append(notices, cardText(c))
			}
			if len(notices) != 1 || !strings.Contains(notices[0], want(id)) {
				t.Errorf("notices to the rep %q, want one saying %q", notices, want(id))
			}
			checkLead(t, s, id)
		})
	})
}
