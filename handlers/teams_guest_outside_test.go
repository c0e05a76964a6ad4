package handlers_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/report"
	"github.com/handoff/handoff/bot/teams"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

const (
	outsideGuestID = "29:gail-guest" // a guest of the tenant, not in the sales team
	marketingID    = "29:mia-market" // a full member of the tenant, not in the sales team
	otherTeamID    = "19:other@thread.tacv2"
	otherChannelID = "19:other-news@thread.tacv2"
)

// TestTeamsGuestOutsideTheTeamIsRefused: a guest of the tenant who is not
// in the sales channel's team, writing to the bot in a personal chat or in
// another team's channel, is refused every command, the aggregate reports
// (funnel, sla) included, with "Handoff works only for full members…",
// told apart by their member record where they wrote (userRole "guest");
// a guest named in TEAMS_MANAGERS is refused the leads too, and a card
// opened by id. A full member outside the team still gets the reports.
func TestTeamsGuestOutsideTheTeamIsRefused(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		e := newTeamsEnv(t, s, &report.Reports{Store: s, Policy: handoff.DefaultPolicy()})
		e.install()
		e.bf.SetMembers(teamID, ritaID)
		e.bf.SetGuests(outsideGuestID, managerID)
		id := e.newSQL("outside")

		for _, text := range []string{"funnel month", "sla", "help", "leads open"} {
			if got := e.say(outsideGuestID, "Gail Guest", "a:gail", text); !strings.Contains(got, "full members") || strings.Contains(got, "Acme outside") {
				t.Errorf("%q by a guest in a personal chat = %s, want the full members' refusal", text, got)
			}
			if got := e.sayInOtherTeam(outsideGuestID, "Gail Guest", text); !strings.Contains(got, "full members") {
				t.Errorf("%q by a guest in another team's channel = %s, want the full members' refusal", text, got)
			}
		}
		for _, text := range []string{"leads open", "funnel month"} {
			if got := e.say(managerID, "Guest Manager", "a:boss", text); !strings.Contains(got, "full members") || strings.Contains(got, "Acme outside") {
				t.Errorf("%q by a guest named in TEAMS_MANAGERS = %s, want the full members' refusal", text, got)
			}
		}
		show := e.personalInvoke(managerID, "Guest Manager", "a:boss", map[string]any{"action": teams.VerbShowCard, "value": fmt.Sprint(id)})
		if show.StatusCode != 403 || !strings.Contains(show.raw, "full members") || strings.Contains(show.raw, "Acme outside") {
			t.Errorf("card by id for a guest named in TEAMS_MANAGERS = %s, want 403 saying Handoff works only for full members", show.raw)
		}
		claim := e.personalInvoke(outsideGuestID, "Gail Guest", "a:gail", map[string]any{"action": bot.ActionClaim, "value": fmt.Sprint(id)})
		if claim.StatusCode != 403 || !strings.Contains(claim.raw, "full members") {
			t.Errorf("claim by a guest outside the team = %s, want 403 saying Handoff works only for full members", claim.raw)
		}
		if l := e.lead(id); l.Stage != handoff.StageSQL || !l.Owner.IsZero() {
			t.Fatalf("after the guests: stage %s, owner %+v", l.Stage, l.Owner)
		}

		for _, text := range []string{"funnel month", "sla"} {
			got := e.say(marketingID, "Mia Marketing", "a:mia", text)
			if strings.Contains(got, "full members") || !strings.Contains(got, "SLA") {
				t.Errorf("%q by a full member outside the team = %s, want the report", text, got)
			}
		}
	})
}

// sayInOtherTeam sends text from user in a channel of a team other than
// the sales channel's, delivers the outbox and returns the one answer
// (sent to the user's personal chat, or shared in that channel).
func (e *teamsEnv) sayInOtherTeam(user, name, text string) string {
	e.t.Helper()
	other := e.team()
	other.ID, other.Name = otherTeamID, "Other Team"
	a := other.Activity("message", user, name, otherChannelID)
	a["text"] = "<at>Handoff</at> " + text
	before := len(callsOf(e.bf, "send"))
	if status, body := e.post(a, e.token()); status != 200 {
		e.t.Fatalf("%q: HTTP %d %s", text, status, body)
	}
	e.deliver()
	sends := callsOf(e.bf, "send")
	if len(sends) != before+1 {
		e.t.Fatalf("%q in another team: %d answers, want 1", text, len(sends)-before)
	}
	return cardText(sends[len(sends)-1])
}

// personalInvoke is user's Action.Execute click with data on a card in
// their personal chat with the bot.
func (e *teamsEnv) personalInvoke(user, name, chat string, data map[string]any) teamsInvokeResponse {
	e.t.Helper()
	a := e.clickActivity(user, name, data)
	personal := e.activity("invoke", user, name, chat)
	a["conversation"] = personal["conversation"]
	return e.invokeActivity(a)
}

// guestManagerID is a guest of the tenant named in TEAMS_MANAGERS, not in
// the sales team.
const guestManagerID = "29:gus-guest-manager"

// TestTeamsReassignToGuestIsRefused: the Reassign form's people picker
// lists the tenant's guests too; a manager who picks a guest (in the sales
// channel's team, or outside it and named in TEAMS_MANAGERS) is shown
// "Only full members of this Microsoft 365 organization can own leads" on
// the form and the lead stays as it was; picking a full member of the
// team reassigns it.
func TestTeamsReassignToGuestIsRefused(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		e := newTeamsEnvWith(t, s, nil, handoff.DefaultPolicy(), managerID, guestManagerID)
		e.install()
		e.bf.SetMembers(teamID, ritaID, guestID, managerID)
		e.bf.SetGuests(guestID, guestManagerID)
		for _, u := range []struct{ id, name, chat string }{
			{guestID, "Gina Guest", "a:gina"}, {guestManagerID, "Gus Guest", "a:gus"}, {ritaID, "Rita Rep", "a:rita"},
		} {
			e.say(u.id, u.name, u.chat, "hi") // known to the bot, as the picker's answer must be
		}
		id := e.newSQL("reassign")
		e.deliver()

		form := e.invoke(managerID, "Boss", map[string]any{"action": bot.ActionReassign, "value": fmt.Sprint(id)})
		if !strings.Contains(form.raw, "graph.microsoft.com/users") {
			t.Fatalf("reassign form = %s, want the people picker", form.raw)
		}
		submit := formSubmitData(t, form)
		pick := func(aad string) teamsInvokeResponse {
			data := map[string]any{"in_owner": aad}
			for k, v := range submit {
				data[k] = v
			}
			return e.invoke(managerID, "Boss", data)
		}
		for _, aad := range []string{"aad-gina-guest", "aad-gus-guest-manager"} {
			got := pick(aad)
			if !strings.Contains(got.raw, "Only full members of this Microsoft 365 organization can own leads") {
				t.Errorf("reassign to guest %s answered %s, want the form saying only full members can own leads", aad, got.raw)
			}
			if l := e.lead(id); l.Stage != handoff.StageSQL || !l.Owner.IsZero() {
				t.Fatalf("after reassigning to guest %s: stage %s, owner %+v", aad, l.Stage, l.Owner)
			}
		}
		if got := pick("aad-rita"); !strings.Contains(got.raw, "Claimed by") {
			t.Fatalf("reassign to a full member answered %s", got.raw)
		}
		if l := e.lead(id); l.Owner.UserID != ritaID {
			t.Fatalf("after reassigning to Rita: owner %+v", l.Owner)
		}
	})
}

// formSubmitData is the data of a form card's Submit action.
func formSubmitData(t *testing.T, form teamsInvokeResponse) map[string]any {
	t.Helper()
	var card struct {
		Body []struct {
			Actions []struct {
				Data map[string]any `json:"data"`
			} `json:"actions"`
		} `json:"body"`
	}
	if err := json.Unmarshal(form.Value, &card); err != nil || len(card.Body) == 0 || len(card.Body[len(card.Body)-1].Actions) == 0 {
		t.Fatalf("form %s: %v", form.raw, err)
	}
	return card.Body[len(card.Body)-1].Actions[0].Data
}
