package handlers_test

import (
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

// TestSlackFormRefusedWithNoInputToShowItOn: a form Slack sends with none
// of its inputs (an offer's Pass form, its optional reason left empty)
// that Handoff refuses is answered 200 with response_action "update": a
// view in the form's place says what happened and that nothing was saved,
// and nothing else tells the user (no private notice, no DM). Before,
// Slack was answered 409, 404 or 403, which it shows as its bare "We had
// some trouble connecting", or, for someone Handoff does not act for or
// whose role Slack could not say, an empty 200 that closed the form and a
// DM. The lead is left as it was. The refusal is logged once, at info, by
// its form, code and user (slacktest.FormRefusalLogged); before, it was
// not logged, and a guest's was logged as a warning with its reason.
func TestSlackFormRefusedWithNoInputToShowItOn(t *testing.T) {
	tests := []struct {
		name, user string
		gone       bool              // the form names a lead Handoff does not have
		setup      func(r *slackRig) // before the form is sent
		want       string            // in the view
		code       string            // of the refusal logged, "" for none
	}{
		{name: "OfferEnded", user: "UREP", want: "to you has ended", code: handoff.ECONFLICT},
		{name: "LeadGone", user: "UREP", gone: true, want: "not found", code: handoff.ENOTFOUND},
		{name: "NotInTheSalesChannel", user: "UOUT", want: "only for members of the sales channel", code: handoff.EFORBIDDEN},
		{name: "Guest", user: "USINGLE", want: "only for full members", code: handoff.EFORBIDDEN,
			setup: func(r *slackRig) { r.slack.SetUser("USINGLE", slacktest.User{UltraRestricted: true}) }},
		{name: "RoleUnknown", user: "UREP", want: "could not check your role",
			setup: func(r *slackRig) { r.slack.ErrorNext("conversations.members", 1000, "internal_error") }},
	}
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := newSlackRig(t, s, nil)
				l := r.announced(t, fmt.Sprintf("refused-form-%d", i))
				id := l.ID
				if tt.gone {
					id += 1_000_000
				}
				if tt.setup != nil {
					tt.setup(r)
				}
				state := fmt.Sprintf(`{"lead":%d,"channel":%q}`, id, salesChannel)
				status, body := r.send(t, "/slack/interactions", signingSecret, time.Now(), slacktest.SubmitPayload(tt.user, bot.ActionPass, state, nil))
				if status != http.StatusOK {
					t.Fatalf("HTTP %d %s, want 200 and the refusal in the form's place", status, body)
				}
				if a, err := slacktest.ParseViewAnswer([]byte(body)); err != nil {
					t.Fatal(err)
				} else if err := a.Replaces(tt.want, "Nothing was saved"); err != nil {
					t.Fatal(err)
				}
				r.drain(t)
				if got := r.lead(t, l.ID); got.Stage != handoff.StageSQL || !got.Owner.IsZero() {
					t.Fatalf("lead %s owned by %+v, want an SQL nobody claimed", got.Stage, got.Owner)
				}
				if told := ephemeralsTo(r.slack.Calls("chat.postEphemeral"), tt.user); len(told) != 0 {
					t.Fatalf("private notices to %s = %q, want none: the view tells them", tt.user, told)
				}
				if dms := r.slack.Calls("conversations.open"); len(dms) != 0 {
					t.Fatalf("DMs opened = %+v, want none: the view tells them", dms)
				}
				if err := slacktest.FormRefusalLogged(r.logs.String(), bot.ActionPass, tt.code, tt.user); err != nil {
					t.Error(err)
				}
			})
		}
	})
}

// TestSlackFormRefusedOnItsInput: a refused form with an input to show
// the refusal on is answered with the refusal on that input, as plain
// text that names the lead's owner as the refusal in the form's place
// does (bot.ErrorNotice), not as Handoff's mention markup
// ("<@slack:UREP|…>"), and is logged once, at info, by its form, code
// and user, never by its text, which names the lead. Before, it was not
// logged, and the owner was shown as the markup.
func TestSlackFormRefusedOnItsInput(t *testing.T) {
	tests := []struct {
		name, user, form, input, answer string
		claimed                         bool   // UREP claimed the lead first
		want, code                      string // on the input; of the refusal logged
	}{
		{name: "OfferEnded", user: "UREP", form: bot.ActionPass, input: "reason", answer: "On holiday",
			want: "to you has ended", code: handoff.ECONFLICT},
		{name: "NotTheOwner", user: "UOWNER", form: bot.ActionWon, input: "amount", answer: "1000", claimed: true,
			want: "(the owner) or a sales manager", code: handoff.EFORBIDDEN},
	}
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := newSlackRig(t, s, nil)
				l := r.announced(t, fmt.Sprintf("refused-on-input-%d", i))
				if tt.claimed {
					if status, _ := r.click(t, "UREP", bot.ActionClaim, l.ID); status != http.StatusOK {
						t.Fatal(status)
					}
					r.drain(t)
				}
				state := fmt.Sprintf(`{"lead":%d,"channel":%q}`, l.ID, salesChannel)
				status, body := r.send(t, "/slack/interactions", signingSecret, time.Now(),
					slacktest.SubmitPayload(tt.user, tt.form, state, map[string]string{tt.input: tt.answer}))
				if status != http.StatusOK {
					t.Fatalf("HTTP %d %s, want 200 and the refusal on the %s input", status, body, tt.input)
				}
				a, err := slacktest.ParseViewAnswer([]byte(body))
				if err != nil {
					t.Fatal(err)
				}
				if err := a.ErrorOn(tt.input, tt.want); err != nil {
					t.Fatal(err)
				}
				if msg := a.Errors[tt.input]; strings.ContainsAny(msg, "<>|") {
					t.Errorf("the error on the %s input says %q, with Handoff's mention markup", tt.input, msg)
				}
				if err := slacktest.FormRefusalLogged(r.logs.String(), tt.form, tt.code, tt.user); err != nil {
					t.Error(err)
				}
				if logged := r.logs.String(); strings.Contains(logged, l.Company) {
					t.Errorf("the log names the lead's company:\n%s", logged)
				}
			})
		}
	})
}
