package handlers_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/report"
	"github.com/handoff/handoff/bot/teams"
	"github.com/handoff/handoff/internal/testkit"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

const guestID = "29:gina-guest"

// TestTeamsGuestIsRefused: a guest of the tenant in the sales channel's
// team (the Bot Connector's member record says "userRole": "guest") is
// treated as Slack treats a guest: a Claim, as an Action.Execute invoke or
// an Action.Submit message, a lead's card by id and every command (leads,
// funnel) are refused with "Handoff works only for full members…" and
// change nothing; a manager of TEAMS_MANAGERS who is a guest too. A full
// member of the team still claims.
func TestTeamsGuestIsRefused(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		e := newTeamsEnv(t, s, &report.Reports{Store: s, Policy: handoff.DefaultPolicy()})
		e.install()
		e.bf.SetMembers(teamID, ritaID, guestID, managerID)
		e.bf.SetGuests(guestID, managerID)
		id := e.newSQL("guest")
		e.deliver()
		before := e.lead(id)

		for _, user := range []string{guestID, managerID} {
			show := e.invoke(user, "Guest", map[string]any{"action": teams.VerbShowCard, "value": fmt.Sprint(id)})
			if show.StatusCode != 403 || !strings.Contains(show.raw, "full members") || strings.Contains(show.raw, "Acme guest") {
				t.Errorf("card by id for guest %s = %s, want 403 saying Handoff works only for full members", user, show.raw)
			}
			for _, form := range clickForms {
				sends := len(callsOf(e.bf, "send"))
				status, body := e.post(e.clickAs(form, user, "Guest", map[string]any{"action": bot.ActionClaim, "value": fmt.Sprint(id)}), e.token())
				if status != 200 {
					t.Fatalf("%s claim by guest %s: HTTP %d %s", form, user, status, body)
				}
				e.deliver()
				answer := string(body)
				if form == "submit" {
					got := callsOf(e.bf, "send")[sends:]
					if len(got) != 1 {
						t.Fatalf("submit claim by guest %s: %d notices, want 1", user, len(got))
					}
					answer = cardText(got[0])
				}
				if !strings.Contains(answer, "full members") || strings.Contains(answer, "Acme guest") {
					t.Errorf("%s claim by guest %s answered %s, want the full members' refusal without the lead", form, user, answer)
				}
			}
			for _, text := range []string{"leads open", "leads mine", fmt.Sprintf("leads %d", id), "funnel month"} {
				if got := e.say(user, "Guest", "a:"+user, text); !strings.Contains(got, "full members") || strings.Contains(got, "Acme guest") {
					t.Errorf("%q by guest %s = %s, want the full members' refusal", text, user, got)
				}
			}
		}
		after := e.lead(id)
		if after.Stage != before.Stage || !after.Owner.IsZero() || !after.UpdatedAt.Equal(before.UpdatedAt) || testkit.ClaimEvents(t, s, id) != 0 {
			t.Fatalf("the guests' clicks changed the lead: stage %s, owner %+v, updated %v (was %v)", after.Stage, after.Owner, after.UpdatedAt, before.UpdatedAt)
		}
		if n := len(callsOf(e.bf, "update")); n != 0 {
			t.Fatalf("the guests' clicks updated %d cards", n)
		}

		if got := e.say(ritaID, "Rita Rep", "a:rita", "leads open"); !strings.Contains(got, "Acme guest") {
			t.Errorf("leads open by a full member = %s", got)
		}
		res := e.invoke(ritaID, "Rita Rep", map[string]any{"action": bot.ActionClaim, "value": fmt.Sprint(id)})
		if res.StatusCode != 200 || !strings.Contains(res.raw, "Claimed by") {
			t.Fatalf("claim by a full member = %s", res.raw)
		}
		if l := e.lead(id); l.Stage != handoff.StageClaimed || l.Owner.UserID != ritaID {
			t.Fatalf("after a full member's claim: stage %s, owner %+v", l.Stage, l.Owner)
		}
	})
}

// TestTeamsMemberMadeGuest: a member of the sales channel's team whose
// account becomes a guest's is refused once the kept answer (5 minutes) is
// asked again: at Teams' membership event for the team, not before.
func TestTeamsMemberMadeGuest(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		e := newTeamsEnv(t, s, &report.Reports{Store: s, Policy: handoff.DefaultPolicy()})
		e.install()
		e.bf.SetMembers(teamID, ritaID)
		id := e.newSQL("madeguest")
		show := map[string]any{"action": teams.VerbShowCard, "value": fmt.Sprint(id)}
		if res := e.invoke(ritaID, "Rita Rep", show); res.StatusCode != 200 || !strings.Contains(res.raw, "Acme madeguest") {
			t.Fatalf("card by id for a full member = %s", res.raw)
		}
		e.bf.SetGuests(ritaID)
		if res := e.invoke(ritaID, "Rita Rep", show); res.StatusCode != 200 {
			t.Fatalf("card by id within the kept answer = %s, want the card (the answer is kept 5 minutes)", res.raw)
		}
		if status, body := e.post(e.team().MemberAdded(ritaID), e.token()); status != 200 {
			t.Fatalf("teamMemberAdded: HTTP %d %s", status, body)
		}
		if res := e.invoke(ritaID, "Rita Rep", show); res.StatusCode != 403 || strings.Contains(res.raw, "Acme madeguest") {
			t.Errorf("card by id for a member made a guest = %s, want 403 without the lead", res.raw)
		}
		if got := e.say(ritaID, "Rita Rep", "a:rita", "leads open"); !strings.Contains(got, "full members") || strings.Contains(got, "Acme madeguest") {
			t.Errorf("leads open by a member made a guest = %s", got)
		}
		if res := e.invoke(ritaID, "Rita Rep", map[string]any{"action": bot.ActionClaim, "value": fmt.Sprint(id)}); res.StatusCode != 403 {
			t.Errorf("claim by a member made a guest = %s, want 403", res.raw)
		}
		if l := e.lead(id); !l.Owner.IsZero() || testkit.ClaimEvents(t, s, id) != 0 {
			t.Fatalf("a guest's claim changed the lead: %+v", l.Owner)
		}
	})
}
