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
	erasedClick{action: bot.ActionClaim, kept: bot.ActionNotAFit, card: "cannot be claimed",
		refusal: "(personal data erased) cannot be claimed"}.run(t)
}

// TestErasedClaimedLeadIsNotReleased: erasing a claimed lead updates its
// card to one without Release (Log contact stays), and its owner's click
// on Release (an older copy of the card) is answered privately with the
// refusal telling them to close it instead, and changes nothing, in Slack
// and in Teams: released, it would be an SQL nobody can claim.
func TestErasedClaimedLeadIsNotReleased(t *testing.T) {
	erasedClick{claimed: true, action: bot.ActionRelease, kept: bot.ActionLogContact, card: "Claimed by",
		refusal: "(personal data erased) cannot be released: nobody could claim it. Close it instead"}.run(t)
}

// erasedClick is a click on an older copy of the card of a lead erased
// after it was posted (and claimed by the clicking rep, when claimed):
// the erasure's update of the card (the one saying card) drops the button
// clicked and keeps kept; the click is refused privately with refusal,
// which follows "Lead <id> ", and changes nothing.
type erasedClick struct {
	claimed                     bool
	action, kept, card, refusal string
}

func (c erasedClick) run(t *testing.T) {
	checkLead := func(t *testing.T, s *storage.Store, id int64, owner string) {
		t.Helper()
		l, err := s.Lead(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		want := handoff.StageSQL
		if !c.claimed {
			owner = ""
		} else {
			want = handoff.StageClaimed
		}
		if l.Stage != want || l.Owner.UserID != owner || l.ErasedAt == nil {
			t.Errorf("lead after the click: %s owned by %+v, erased %v; want the erased lead %s, owned by %q", l.Stage, l.Owner, l.ErasedAt, want, owner)
		}
	}
	checkCard := func(t *testing.T, updates []string) {
		t.Helper()
		var cards []string
		for _, u := range updates {
			if strings.Contains(u, c.card) {
				cards = append(cards, u)
			}
		}
		if len(cards) == 0 {
			t.Fatal("the card was not updated at the erasure")
		}
		card := cards[len(cards)-1]
		if strings.Contains(card, c.action) || !strings.Contains(card, c.kept) {
			t.Errorf("the erased lead's card is %s, want %s and no %s", card, c.kept, c.action)
		}
	}
	checkNotices := func(t *testing.T, notices []string, id int64) {
		t.Helper()
		if want := fmt.Sprintf("Lead %d %s", id, c.refusal); len(notices) != 1 || !strings.Contains(notices[0], want) {
			t.Errorf("notices to the rep %q, want one saying %q", notices, want)
		}
	}
	t.Run("slack", func(t *testing.T) {
		storagetest.Each(t, func(t *testing.T, s *storage.Store) {
			r := newSlackRig(t, s, nil)
			l := r.announced(t, "gone-s")
			if c.claimed {
				if status, body := r.click(t, "UREP", bot.ActionClaim, l.ID); status != 200 {
					t.Fatalf("claim click = %d %s", status, body)
				}
				r.drain(t)
			}
			before := len(r.slack.Calls("chat.update"))
			if err := s.ForgetLead(context.Background(), "gone-s", handoff.DefaultPolicy(), time.Now().UTC()); err != nil {
				t.Fatal(err)
			}
			r.drain(t)
			var updates []string
			for _, u := range r.slack.Calls("chat.update")[before:] {
				raw, _ := json.Marshal(map[string]any{"form": u.Form, "json": u.JSON})
				updates = append(updates, string(raw))
			}
			checkCard(t, updates)
			if status, body := r.click(t, "UREP", c.action, l.ID); status != 200 {
				t.Fatalf("click = %d %s", status, body)
			}
			r.drain(t)
			checkNotices(t, ephemeralsTo(r.slack.Calls("chat.postEphemeral"), "UREP"), l.ID)
			checkLead(t, s, l.ID, "UREP")
		})
	})
	t.Run("teams", func(t *testing.T) {
		storagetest.Each(t, func(t *testing.T, s *storage.Store) {
			e := newTeamsEnv(t, s, nil)
			e.install()
			id := e.newSQL("gone-t")
			e.deliver()
			if c.claimed {
				e.invoke(bobID, "Bob", map[string]any{"action": bot.ActionClaim, "value": fmt.Sprint(id)})
				e.deliver()
			}
			before := len(callsOf(e.bf, "update"))
			if err := s.ForgetLead(context.Background(), "gone-t", handoff.DefaultPolicy(), e.clock.Now()); err != nil {
				t.Fatal(err)
			}
			e.deliver()
			var updates []string
			for _, u := range callsOf(e.bf, "update")[before:] {
				updates = append(updates, cardText(u))
			}
			checkCard(t, updates)
			sent := len(callsOf(e.bf, "send"))
			e.invoke(bobID, "Bob", map[string]any{"action": c.action, "value": fmt.Sprint(id)})
			e.deliver()
			var notices []string
			for _, n := range callsOf(e.bf, "send")[sent:] {
				notices = append(notices, cardText(n))
			}
			checkNotices(t, notices, id)
			checkLead(t, s, id, bobID)
		})
	})
}
