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
	"github.com/handoff/handoff/bot/teams"
	"github.com/handoff/handoff/bot/teams/teamstest"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestTeamsReassignWhenTheNewOwnerCannotBeChecked: a manager's Reassign
// form (Action.Execute) whose new owner the Bot Connector cannot place
// just then is answered with the form again, the owner input saying that
// Handoff could not check the new owner and that nothing was saved, and
// is logged once as a warning; the lead keeps its owner and nobody is sent
// its contact details. The same form sent again once the Bot Connector
// answers reassigns the lead. The lookups that fail: the sales team's
// roster, for a new owner who never talked to the bot (Platform.UserID);
// her member record in the team and where she wrote (SalesMembers.IsGuest);
// her record in the team alone, for one with no conversation known, whose
// role then is unknown (bot.Reassign's ReadsLeads). Before, the first two
// were answered as an invoke error 500 ("Sorry, that did not work"), and
// the third as 503 "could not read your role", of the manager who sent it.
func TestTeamsReassignWhenTheNewOwnerCannotBeChecked(t *testing.T) {
	tests := []struct {
		name string
		// stored is what is stored of Ann before (nil: she never
		// talked to the bot, and is found in the team's roster).
		stored func(e *teamsEnv, ann handoff.TeamsUser) *handoff.TeamsUser
		fail   func(bf *teamstest.Server) // after the manager opened the form
	}{
		{name: "RosterThrottled", fail: func(bf *teamstest.Server) { bf.RateLimit(1, "30") }},
		{name: "RosterUnavailable", fail: func(bf *teamstest.Server) { bf.Unavailable(1, "") }},
		{name: "MemberRecordThrottled",
			stored: func(e *teamsEnv, ann handoff.TeamsUser) *handoff.TeamsUser {
				// She wrote to the bot where another replica saw it.
				ann.TenantID, ann.ServiceURL, ann.WroteIn, ann.DMConversationID = tenantID, e.bf.ServiceURL(), "a:ann", "a:ann"
				return &ann
			},
			fail: func(bf *teamstest.Server) { bf.RateLimit(2, "30") }},
		{name: "RoleUnread",
			stored: func(_ *teamsEnv, ann handoff.TeamsUser) *handoff.TeamsUser {
				// Found in the roster before (routing), as it stores her.
				return &ann
			},
			fail: func(bf *teamstest.Server) { bf.Unavailable(2, "") }},
	}
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				// Ann, a full member of the sales channel's team, is the
				// new owner: the people picker answers her Entra object id.
				ann := handoff.TeamsUser{ID: fmt.Sprintf("29:ann-%d", i), AADObjectID: fmt.Sprintf("6d0c1b2a-3e4f-4a5b-9c8d-7e6f5a4b3c2%d", i), Name: "Ann New"}
				e := newTeamsEnv(t, s, nil)
				e.platform.Roster = teams.NewRoster(e.platform, "Sales")
				e.install()
				e.bf.SetRoster(teamID, teamstest.Member{ID: ritaID, Name: "Rita Rep", AADObjectID: "aad-rita"},
					teamstest.Member{ID: managerID, Name: "Boss", AADObjectID: "aad-boss"},
					teamstest.Member{ID: ann.ID, Name: ann.Name, AADObjectID: ann.AADObjectID})
				if tt.stored != nil {
					if err := s.SaveTeamsUser(context.Background(), *tt.stored(e, ann), time.Now()); err != nil {
						t.Fatal(err)
					}
				}
				id := e.newSQL(fmt.Sprintf("owner-unknown-%d", i))
				e.deliver()
				if res := e.invoke(ritaID, "Rita Rep", map[string]any{"action": bot.ActionClaim, "value": fmt.Sprint(id)}); res.StatusCode != 200 {
					t.Fatalf("claim: %s", res.raw)
				}
				e.deliver()
				form := e.invoke(managerID, "Boss", map[string]any{"action": bot.ActionReassign, "value": fmt.Sprint(id)})
				if !strings.Contains(form.raw, "graph.microsoft.com/users") {
					t.Fatalf("reassign form = %s, want the people picker", form.raw)
				}
				data := map[string]any{"in_owner": ann.AADObjectID}
				for k, v := range formSubmitData(t, form) {
					data[k] = v
				}

				tt.fail(e.bf)
				calls := len(e.bf.Calls())
				got := e.invoke(managerID, "Boss", data)
				if err := ownerUnknownAnswered(got, e.logs.String()); err != nil {
					t.Fatalf("%v\n%s", err, e.logs.String())
				}
				if l := e.lead(id); l.Owner.UserID != ritaID {
					t.Fatalf("owner is now %+v, want Rita to keep the lead", l.Owner)
				}
				e.deliver()
				for _, c := range e.bf.Calls()[calls:] {
					if b, _ := json.Marshal(c.Body); c.Method != "GET" && strings.Contains(string(b), ann.ID) {
						t.Fatalf("Ann, whom the Bot Connector could not place, was sent %s %s", c.Op, b)
					}
				}

				// The Bot Connector answers again: the same form goes through.
				again := e.invoke(managerID, "Boss", data)
				if again.StatusCode != 200 || strings.Contains(again.raw, "form_actions") {
					t.Fatalf("sent again: %s, want the lead's card", again.raw)
				}
				if l := e.lead(id); l.Owner.UserID != ann.ID {
					t.Fatalf("sent again: owner is %+v, want Ann", l.Owner)
				}
			})
		}
	})
}

// ownerUnknownAnswered returns nil when res, the answer to a Reassign
// form whose new owner could not be checked, is the form again with the
// error on its owner input saying so and that nothing was saved, and log,
// the Teams app's, holds one warning of it naming the form, the manager
// and the error, and no failed card action.
func ownerUnknownAnswered(res teamsInvokeResponse, log string) error {
	var card struct {
		Body []struct {
			ID           string `json:"id"`
			ErrorMessage string `json:"errorMessage"`
		} `json:"body"`
	}
	if res.StatusCode != 200 || json.Unmarshal(res.Value, &card) != nil {
		return fmt.Errorf("answered %s, want the form with an error on the owner input", res.raw)
	}
	found := false
	for _, el := range card.Body {
		if el.ID != teams.FormInputPrefix+"owner" {
			continue
		}
		found = true
		for _, want := range []string{"could not check the new owner", "nothing was saved", "send the form again"} {
			if !strings.Contains(el.ErrorMessage, want) {
				return fmt.Errorf("the owner input's error is %q, not %q", el.ErrorMessage, want)
			}
		}
	}
	if !found {
		return fmt.Errorf("answered %s, want the form with the owner input", res.raw)
	}
	var warned []string
	for line := range strings.Lines(log) {
		if strings.Contains(line, "new owner may own leads is not known") {
			warned = append(warned, strings.TrimSpace(line))
		}
		if strings.Contains(line, "card action failed") || strings.Contains(line, "card action refused") {
			return fmt.Errorf("logged %q, want the new owner's warning alone", line)
		}
	}
	if len(warned) != 1 {
		return fmt.Errorf("logged %d warnings of the new owner %q, want one", len(warned), warned)
	}
	for _, want := range []string{"level=WARN", "form=" + bot.ActionReassign, "user=" + managerID, "owner=", "err="} {
		if !strings.Contains(warned[0], want) {
			return fmt.Errorf("the warning logged %q does not say %s", warned[0], want)
		}
	}
	return nil
}

// TestTeamsReassignSubmittedWhenTheNewOwnerCannotBeChecked: the same form
// sent as an Action.Submit message (the fallback of a client without
// Universal Actions, from the manager's chat with the bot, where the form
// was sent) whose new owner's member record the Bot Connector does not
// answer is acknowledged 200 and answered with the form again in that
// chat, the owner input saying that the new owner could not be checked;
// the lead keeps its owner, and the form sent again reassigns it. Before,
// the form the submission was refused with was dropped: the manager was
// told nothing.
func TestTeamsReassignSubmittedWhenTheNewOwnerCannotBeChecked(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		e := newTeamsEnv(t, s, nil)
		e.install()
		ann := handoff.TeamsUser{ID: "29:ann-submit", AADObjectID: "6d0c1b2a-3e4f-4a5b-9c8d-7e6f5a4b3c2f", Name: "Ann New",
			TenantID: tenantID, ServiceURL: e.bf.ServiceURL(), WroteIn: "a:ann-submit", DMConversationID: "a:ann-submit"}
		if err := s.SaveTeamsUser(context.Background(), ann, time.Now()); err != nil {
			t.Fatal(err)
		}
		e.say(managerID, "Boss", "a:boss", "hi") // the manager's chat with the bot
		id := e.newSQL("owner-unknown-submit")
		e.deliver()
		if res := e.invoke(ritaID, "Rita Rep", map[string]any{"action": bot.ActionClaim, "value": fmt.Sprint(id)}); res.StatusCode != 200 {
			t.Fatalf("claim: %s", res.raw)
		}
		e.deliver()
		form := e.invoke(managerID, "Boss", map[string]any{"action": bot.ActionReassign, "value": fmt.Sprint(id)})
		data := map[string]any{"in_owner": ann.AADObjectID}
		for k, v := range formSubmitData(t, form) {
			data[k] = v
		}
		submit := func() []teamstest.Call {
			t.Helper()
			a := e.activity("message", managerID, "Boss", "a:boss")
			a["value"] = data
			calls := len(e.bf.Calls())
			if status, body := e.post(a, e.token()); status != 200 {
				t.Fatalf("submit: HTTP %d %s", status, body)
			}
			e.deliver()
			return e.bf.Calls()[calls:]
		}

		e.bf.RateLimit(2, "30") // her record in the team, and in her chat
		var told []string
		for _, c := range submit() {
			if b, _ := json.Marshal(c.Body); c.Method != "GET" && strings.Contains(string(b), ann.ID) {
				t.Fatalf("Ann, whom the Bot Connector could not place, was sent %s %s", c.Op, b)
			}
			if text := cardText(c); c.Op == "send" && strings.Contains(text, "could not check the new owner") && strings.Contains(text, "nothing was saved") {
				told = append(told, c.ConversationID)
			}
		}
		if len(told) != 1 || told[0] != "a:boss" {
			t.Fatalf("the manager was told %v, want the form again once, in their chat with the bot", told)
		}
		if l := e.lead(id); l.Owner.UserID != ritaID {
			t.Fatalf("owner is now %+v, want Rita to keep the lead", l.Owner)
		}
		if n := len(e.logs.Lines("new owner may own leads is not known")); n != 1 {
			t.Fatalf("logged %d warnings of the new owner, want one:\n%s", n, e.logs.String())
		}

		submit()
		if l := e.lead(id); l.Owner.UserID != ann.ID {
			t.Fatalf("sent again: owner is %+v, want Ann", l.Owner)
		}
	})
}
