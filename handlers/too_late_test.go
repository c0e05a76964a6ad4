package handlers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// tooLateCases are clicks that come too late for a lead its owner claimed
// first: a claim, a claim after the lead was erased, a claim and an action
// after the lead was lost; then names the lead's stage after the owner's
// claim (stage "" keeps it claimed, erased erases it).
var tooLateCases = []struct {
	name   string
	then   handoff.Stage
	erased bool
	action string
	owner  bool // the owner clicks, else another rep
}{
	{name: "Claimed", action: bot.ActionClaim},
	{name: "ClaimedErased", erased: true, action: bot.ActionClaim},
	{name: "Lost", then: handoff.StageLost, action: bot.ActionClaim},
	{name: "LostWon", then: handoff.StageLost, action: bot.ActionWon, owner: true},
	{name: "LostErased", then: handoff.StageLost, erased: true, action: bot.ActionClaim},
}

// settle moves the claimed lead ext as tc says: lost through the intake,
// erased.
func settle(t *testing.T, s *storage.Store, ext string, then handoff.Stage, erased bool, now time.Time) {
	t.Helper()
	ctx := context.Background()
	if then != "" {
		if _, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: ext, Stage: then, Reason: "no budget"}, handoff.DefaultPolicy(), now, handoff.ActorAPI); err != nil {
			t.Fatal(err)
		}
	}
	if erased {
		if err := s.ForgetLead(ctx, ext, handoff.DefaultPolicy(), now); err != nil {
			t.Fatal(err)
		}
	}
}

// checkTooLate holds that the notices sent for a click that came too late
// for lead id name it by Handoff's id, and, for an erased lead, by nothing
// else: neither its anonymous external id nor what it was.
func checkTooLate(t *testing.T, notices []string, id int64, erased bool, was ...string) {
	t.Helper()
	if len(notices) != 1 {
		t.Fatalf("notices = %q, want one", notices)
	}
	n := notices[0]
	if !strings.Contains(strings.ToLower(n), fmt.Sprintf("lead %d", id)) {
		t.Errorf("notice %q does not name lead %d", n, id)
	}
	if !erased {
		return
	}
	for _, s := range append(was, handoff.ErasedIDPrefix) {
		if strings.Contains(n, s) {
			t.Errorf("notice %q about an erased lead holds %q", n, s)
		}
	}
}

// TestTooLateNoticesNameTheLead: a click on a lead that someone claimed
// first, or that was lost or erased since, is answered privately with a
// notice that names the lead by Handoff's id (an erased lead by nothing
// else), in Slack and in Teams.
func TestTooLateNoticesNameTheLead(t *testing.T) {
	t.Run("slack", func(t *testing.T) {
		storagetest.Each(t, func(t *testing.T, s *storage.Store) {
			r := newSlackRig(t, s, nil)
			for _, tc := range tooLateCases {
				t.Run(tc.name, func(t *testing.T) {
					ext := "late-" + strings.ToLower(tc.name)
					l := r.announced(t, ext)
					if status, _ := r.click(t, "UOWNER", bot.ActionClaim, l.ID); status != 200 {
						t.Fatal(status)
					}
					r.drain(t)
					settle(t, s, ext, tc.then, tc.erased, time.Now().UTC())
					r.drain(t)
					user := "UREP"
					if tc.owner {
						user = "UOWNER"
					}
					before := len(ephemeralsTo(r.slack.Calls("chat.postEphemeral"), user))
					if status, body := r.click(t, user, tc.action, l.ID); status != 200 {
						t.Fatalf("click = %d %s", status, body)
					}
					r.drain(t)
					checkTooLate(t, ephemeralsTo(r.slack.Calls("chat.postEphemeral"), user)[before:], l.ID, tc.erased, ext, l.Company)
				})
			}
		})
	})
	t.Run("teams", func(t *testing.T) {
		storagetest.Each(t, func(t *testing.T, s *storage.Store) {
			e := newTeamsEnv(t, s, nil)
			e.install()
			for _, tc := range tooLateCases {
				t.Run(tc.name, func(t *testing.T) {
					ext := "late-" + strings.ToLower(tc.name)
					id := e.newSQL(ext)
					e.deliver()
					e.invoke(ritaID, "Rita Rep", map[string]any{"action": bot.ActionClaim, "value": fmt.Sprint(id)})
					e.deliver()
					settle(t, s, ext, tc.then, tc.erased, e.clock.Now())
					for n := -1; n != len(e.bf.Calls()); { // the owner's DM, the cards' updates
						n = len(e.bf.Calls())
						e.deliver()
					}
					user, name := bobID, "Bob"
					if tc.owner {
						user, name = ritaID, "Rita Rep"
					}
					before := len(callsOf(e.bf, "send"))
					e.invoke(user, name, map[string]any{"action": tc.action, "value": fmt.Sprint(id)})
					e.deliver()
					var notices []string
					for _, c := range callsOf(e.bf, "send")[before:] {
						notices = append(notices, cardText(c))
					}
					checkTooLate(t, notices, id, tc.erased, ext, "Acme", "Ann Jensen")
				})
			}
		})
	})
}
