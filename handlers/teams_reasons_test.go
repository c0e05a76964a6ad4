package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// formCard is the part of a rendered form the tests read: its inputs and
// the data of its Submit action.
type formCard struct {
	Body []struct {
		Type    string `json:"type"`
		ID      string `json:"id"`
		Choices []struct {
			Value string `json:"value"`
		} `json:"choices"`
		Actions []struct {
			Data map[string]any `json:"data"`
		} `json:"actions"`
	} `json:"body"`
}

// choices returns the values of the form's choice input id.
func (f formCard) choices(id string) []string {
	var out []string
	for _, el := range f.Body {
		if el.ID == id {
			for _, c := range el.Choices {
				out = append(out, c.Value)
			}
		}
	}
	return out
}

// submit returns the Submit action's data with the answers added.
func (f formCard) submit(answers map[string]string) map[string]any {
	data := map[string]any{}
	for k, v := range f.Body[len(f.Body)-1].Actions[0].Data {
		data[k] = v
	}
	for k, v := range answers {
		data["in_"+k] = v
	}
	return data
}

// The reason choice of Not a fit, Lost and Recycle, over the Bot Framework
// wire: Rita's click (a signed invoke activity) opens the form with the
// agreement's reasons; her submission stores the reason and its note, and
// both the answer card and the channel's card show it. A reason not on the
// list is refused on the form and changes nothing.
func TestTeamsReasonChoice(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		policy := handoff.DefaultPolicy()
		policy.Reasons = []string{"Wrong country", "No budget", "Chose a competitor", "Bad timing"}
		e := newTeamsEnvWith(t, s, nil, policy)
		ctx := context.Background()
		e.install()
		tests := []struct {
			name, action, reason, note string
			contacted                  bool // claimed and contacted first
			stage                      handoff.Stage
			header                     string
		}{
			{"NotAFit", bot.ActionNotAFit, "Wrong country", "Only ships to Norway", false, handoff.StageRecycled, "Back to marketing"},
			{"Lost", bot.ActionLost, "Chose a competitor", "", true, handoff.StageLost, "Lost: "},
			{"Recycle", bot.ActionRecycle, "Bad timing", "Budget opens in Q2", true, handoff.StageRecycled, "Back to marketing"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				id := e.newSQL("reason-" + strings.ToLower(tc.name))
				e.deliver()
				value := fmt.Sprint(id)
				if tc.contacted {
					e.invoke(ritaID, "Rita Rep", map[string]any{"action": bot.ActionClaim, "value": value})
					e.invoke(ritaID, "Rita Rep", map[string]any{"action": bot.ActionLogContact, "value": value})
					e.deliver()
				}
				before := e.lead(id).Stage
				res := e.invoke(ritaID, "Rita Rep", map[string]any{"action": tc.action, "value": value})
				var form formCard
				if err := json.Unmarshal(res.Value, &form); err != nil {
					t.Fatalf("form %s: %v", res.raw, err)
				}
				if got := form.choices("in_reason"); !slices.Equal(got, policy.Reasons) {
					t.Fatalf("reason choices = %v, want the agreement's %v", got, policy.Reasons)
				}

				// A reason not on the list: the form again, nothing stored.
				again := e.invoke(ritaID, "Rita Rep", form.submit(map[string]string{"reason": "too cheap"}))
				if !strings.Contains(again.raw, "Pick a reason from the list.") {
					t.Fatalf("off-list reason answer = %s", again.raw)
				}
				if l := e.lead(id); l.Stage != before || l.Reason != "" {
					t.Fatalf("an off-list reason changed the lead: %s %q", l.Stage, l.Reason)
				}

				done := e.invoke(ritaID, "Rita Rep", form.submit(map[string]string{"reason": tc.reason, "note": tc.note}))
				want := tc.reason
				if tc.note != "" {
					want += ": " + tc.note
				}
				l := e.lead(id)
				if l.Stage != tc.stage || l.Reason != want {
					t.Fatalf("lead = %s %q, want %s %q", l.Stage, l.Reason, tc.stage, want)
				}
				events, err := s.Events(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				last := events[len(events)-1]
				if last.Stage != tc.stage || last.Details["reason_code"] != tc.reason || last.Details["note"] != tc.note ||
					(last.Details["not_a_fit"] == "true") != (tc.action == bot.ActionNotAFit) || last.Actor != "teams:"+ritaID {
					t.Fatalf("last event = %+v", last)
				}
				if !strings.Contains(done.raw, tc.header) || !strings.Contains(done.raw, want) {
					t.Fatalf("answer card does not show the reason %q: %s", want, done.raw)
				}
				// The channel's card is updated to show it too.
				n := len(callsOf(e.bf, "update"))
				e.deliver()
				updates := callsOf(e.bf, "update")
				if len(updates) <= n || !strings.Contains(cardText(updates[len(updates)-1]), want) {
					t.Fatalf("channel card not updated with the reason %q", want)
				}
			})
		}
	})
}

// TestTeamsInvokeAnswerFitsTeams clicks Not a fit under an agreement of
// 80 reasons as long as the configuration takes, of the characters that
// grow most in JSON. Teams takes about 28 KB in a card action's answer as
// in a message, and so does the stand-in Bot Framework: the form offers
// the first reasons that fit and, last, "Not listed (type it below)", says
// how many it left out, and has a box to type one of those, as Slack's
// menu of 100 does; a reason it offers can be picked, and one it left out
// typed (it could not be given at all before).
func TestTeamsInvokeAnswerFitsTeams(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		policy := handoff.DefaultPolicy()
		for i := range 80 {
			policy.Reasons = append(policy.Reasons, fmt.Sprintf("%02d ", i)+strings.Repeat("<&>", 24))
		}
		e := newTeamsEnvWith(t, s, nil, policy)
		e.install()
		for _, typed := range []bool{false, true} {
			id := e.newSQL(fmt.Sprintf("many-reasons-%t", typed))
			e.deliver()
			res := e.invoke(ritaID, "Rita Rep", map[string]any{"action": bot.ActionNotAFit, "value": fmt.Sprint(id)})
			var form formCard
			if err := json.Unmarshal(res.Value, &form); err != nil {
				t.Fatalf("form %s: %v", res.raw, err)
			}
			shown := form.choices("in_reason")
			if len(shown) < 2 || shown[len(shown)-1] != bot.TypedChoice {
				t.Fatalf("the form offers %q, want the first reasons that fit and, last, one to type another", shown)
			}
			shown = shown[:len(shown)-1]
			if len(shown) >= len(policy.Reasons) || !slices.Equal(shown, policy.Reasons[:len(shown)]) {
				t.Fatalf("the form offers %d reasons, want the first ones that fit, fewer than all %d", len(shown), len(policy.Reasons))
			}
			if want := fmt.Sprintf("%d more choices are not in the list", len(policy.Reasons)-len(shown)); !strings.Contains(res.raw, want) {
				t.Errorf("the form does not say %q", want)
			}
			answer, want := map[string]string{"reason": shown[len(shown)-1]}, shown[len(shown)-1]
			if typed {
				want = policy.Reasons[len(policy.Reasons)-1]
				answer = map[string]string{"reason": bot.TypedChoice, bot.TypedInput("reason"): want}
			}
			e.invoke(ritaID, "Rita Rep", form.submit(answer))
			if l := e.lead(id); l.Stage != handoff.StageRecycled || l.Reason != want {
				t.Errorf("typed %t: lead = %s %q, want recycled for %q", typed, l.Stage, l.Reason, want)
			}
		}
	})
}
