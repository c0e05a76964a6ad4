package slack_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestSocketModeFormRefusedWithNoInputToShowItOn: a form sent over Socket
// Mode with none of its inputs (an offer's Pass form, its optional reason
// left empty) that Handoff refuses is acknowledged with response_action
// "update": a view in the form's place says what happened and that
// nothing was saved, and nothing else tells the user. Before, the
// acknowledgement was empty, which closed the form, and the user was told
// nothing (a refusal of the lead) or sent a DM (someone Handoff does not
// act for, a role Slack could not say). The log never names the lead,
// whose title the refusal's text holds, and reports no failure; it holds
// the refusal once, at info, by its form, code and user
// (slacktest.FormRefusalLogged), which it did not before.
func TestSocketModeFormRefusedWithNoInputToShowItOn(t *testing.T) {
	tests := []struct {
		name, user string
		gone       bool               // the form names a lead Handoff does not have
		setup      func(r *socketRig) // before the form is sent
		want       string             // in the view
		code       string             // of the refusal logged, "" for none
	}{
		{name: "OfferEnded", user: "UREP", want: "to you has ended", code: handoff.ECONFLICT},
		{name: "LeadGone", user: "UREP", gone: true, want: "not found", code: handoff.ENOTFOUND},
		{name: "NotInTheSalesChannel", user: "UOUT", want: "only for members of the sales channel", code: handoff.EFORBIDDEN},
		{name: "Guest", user: "USINGLE", want: "only for full members", code: handoff.EFORBIDDEN,
			setup: func(r *socketRig) { r.slack.SetUser("USINGLE", slacktest.User{UltraRestricted: true}) }},
		{name: "RoleUnknown", user: "UREP", want: "could not check your role",
			setup: func(r *socketRig) { r.slack.ErrorNext("conversations.members", 1000, "internal_error") }},
	}
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := newSocketRig(t, s, appToken)
				r.slack.SetGroup("SMANAGERS", "UBOSS")
				l := r.announced(t, fmt.Sprintf("berg-aps-%d", i))
				id := l.ID
				if tt.gone {
					id += 1_000_000
				}
				if tt.setup != nil {
					tt.setup(r)
				}
				r.start(t)
				c := r.conn(t, 1)
				env, err := c.Interactive(slacktest.SubmitPayload(tt.user, bot.ActionPass, fmt.Sprintf(`{"lead":%d}`, id), nil))
				if err != nil {
					t.Fatal(err)
				}
				ack := r.acked(t, env, 1)[0]
				a, err := slacktest.ParseViewAnswer(ack.Payload)
				if err != nil {
					t.Fatal(err)
				}
				if err := a.Replaces(tt.want, "Nothing was saved"); err != nil {
					t.Fatal(err)
				}
				r.drain(t)
				if got := r.lead(t, l.ID); got.Stage != handoff.StageSQL || !got.Owner.IsZero() {
					t.Fatalf("lead %s owned by %+v, want an SQL nobody claimed", got.Stage, got.Owner)
				}
				if told := r.slack.Calls("chat.postEphemeral"); len(told) != 0 {
					t.Fatalf("private notices = %+v, want none: the view tells them", told)
				}
				if dms := r.slack.Calls("conversations.open"); len(dms) != 0 {
					t.Fatalf("DMs opened = %+v, want none: the view tells them", dms)
				}
				logged := r.log.String()
				if strings.Contains(logged, l.Company) || strings.Contains(logged, "request failed") {
					t.Errorf("the log names the lead's company or reports a failure:\n%s", logged)
				}
				if err := slacktest.FormRefusalLogged(r.log.String(), bot.ActionPass, tt.code, tt.user); err != nil {
					t.Error(err)
				}
			})
		}
	})
}
