package handlers_test

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestTeamsSubmitWhenTheDatabaseFails: an Action.Submit (a card's button
// as a message activity with a value, from a client without Universal
// Actions, or a form sent as one) whose write or first read of Handoff's
// database fails (its tables gone: storagetest.Hide) does nothing, and
// its sender is told so once, in their chat with the bot, sent through
// the Bot Connector alone since the outbox is in the failing database
// (teams.NotRecorded: it could not be recorded, try again); the activity
// is answered 200, the failure logged once at error level. A delivery
// again of the same activity, while the database still fails or once it
// is back, is dropped: nothing more is sent, and nothing is done. A new
// click, once the database is back, is done. Before, the activity was
// answered 500, for Bot Framework to deliver again, and the sender was
// told nothing.
func TestTeamsSubmitWhenTheDatabaseFails(t *testing.T) {
	const annID, annAAD = "29:ann-db", "6d0c1b2a-3e4f-4a5b-9c8d-7e6f5a4b3c31"
	tests := []struct {
		name   string
		hidden []string // the tables gone while the activity is handled
		failed string   // the one whose failure is logged
		// activity is the Action.Submit on lead (claimed by Rita, when
		// claimed), and where its sender is told: the user whose chat the
		// bot opens, or the chat it came from.
		activity func(t *testing.T, e *teamsEnv, lead int64) (a map[string]any, toldIn string)
		claimed  bool                       // Rita claims the lead first
		done     func(l *handoff.Lead) bool // the lead once a new click is done
	}{
		{name: "Claim", hidden: []string{"leads", "processed_events"}, failed: "leads",
			activity: func(t *testing.T, e *teamsEnv, lead int64) (map[string]any, string) {
				return e.submitClick(ritaID, "Rita Rep", bot.ActionClaim, lead), ritaID
			},
			done: func(l *handoff.Lead) bool { return l.Owner.UserID == ritaID }},
		{name: "Release", hidden: []string{"leads"}, failed: "leads", claimed: true,
			activity: func(t *testing.T, e *teamsEnv, lead int64) (map[string]any, string) {
				return e.submitClick(ritaID, "Rita Rep", bot.ActionRelease, lead), ritaID
			},
			done: func(l *handoff.Lead) bool { return l.Stage == handoff.StageSQL && l.Owner.IsZero() }},
		{name: "ReassignForm", hidden: []string{"processed_events"}, failed: "processed_events", claimed: true,
			activity: func(t *testing.T, e *teamsEnv, lead int64) (map[string]any, string) {
				// Ann, the new owner, wrote to the bot; the manager opens
				// the form, and sends it from their chat with the bot.
				chat := "a:ann-db"
				if err := e.store.SaveTeamsUser(context.Background(), handoff.TeamsUser{ID: annID, AADObjectID: annAAD, Name: "Ann New",
					TenantID: tenantID, ServiceURL: e.bf.ServiceURL(), WroteIn: chat, DMConversationID: chat}, e.clock.Now()); err != nil {
					t.Fatal(err)
				}
				form := e.invoke(managerID, "Boss", map[string]any{"action": bot.ActionReassign, "value": fmt.Sprint(lead)})
				data := map[string]any{"in_owner": annAAD}
				maps.Copy(data, formSubmitData(t, form))
				submit := e.activity("message", managerID, "Boss", "a:boss-db")
				submit["value"] = data
				return submit, "a:boss-db"
			},
			done: func(l *handoff.Lead) bool { return l.Owner.UserID == annID }},
	}
	storagetest.EachRaw(t, func(t *testing.T, s *storage.Store, raw *sql.DB) {
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e := newTeamsEnv(t, s, nil)
				e.install()
				id := e.newSQL(fmt.Sprintf("db-fails-%d", i))
				if tt.claimed {
					if res := e.invoke(ritaID, "Rita Rep", map[string]any{"action": bot.ActionClaim, "value": fmt.Sprint(id)}); res.StatusCode != http.StatusOK {
						t.Fatalf("claim: %s", res.raw)
					}
				}
				e.deliver()
				a, toldIn := tt.activity(t, e, id)
				// The sender wrote from there before: what Handoff keeps of
				// them (App.remember) stands.
				wrote := maps.Clone(a)
				wrote["type"], wrote["id"] = "typing", fmt.Sprint(a["id"], "-before")
				delete(wrote, "value")
				if status, body := e.post(wrote, e.token()); status != http.StatusOK {
					t.Fatalf("typing: HTTP %d %s", status, body)
				}
				was, wasEvents := e.lead(id), e.events(id)

				restore := storagetest.Hide(t, raw, tt.hidden...)
				before := len(e.bf.Calls())
				if status, body := e.post(a, e.token()); status != http.StatusOK {
					t.Errorf("HTTP %d %s, want 200 (the sender told)", status, body)
				}
				if told := e.notRecordedSince(before); len(told) != 1 || told[0] != toldIn {
					t.Errorf("told %q that it was not recorded, want once in %s; calls %+v", told, toldIn, e.bf.Calls()[before:])
				}
				told := len(e.bf.Calls())
				if status, body := e.post(a, e.token()); status != http.StatusOK {
					t.Errorf("delivered again, the database still failing: HTTP %d %s, want 200 (dropped)", status, body)
				}
				restore()
				if status, body := e.post(a, e.token()); status != http.StatusOK {
					t.Errorf("delivered again, the database back: HTTP %d %s, want 200 (dropped)", status, body)
				}
				e.deliver() // nothing was queued
				if again := e.bf.Calls()[told:]; len(again) != 0 {
					t.Errorf("after the sender was told, the Bot Connector got %+v, want nothing", again)
				}
				if l := e.lead(id); l.Stage != was.Stage || l.Owner != was.Owner {
					t.Errorf("lead %s owned by %+v, want it as it was, %s owned by %+v", l.Stage, l.Owner, was.Stage, was.Owner)
				}
				if events := e.events(id); events != wasEvents {
					t.Errorf("lead has %d events, want the %d it had", events, wasEvents)
				}
				// As the log quotes it: PostgreSQL's names the table in quotes.
				missing := strings.Trim(strconv.Quote(storagetest.Missing(s.Dialect(), tt.failed)), `"`)
				if err := storeFailureLogged(e.logs.String()+e.reqLogs.String(), missing); err != nil {
					t.Error(err)
				}

				// The sender tries again: a new activity.
				a, _ = tt.activity(t, e, id)
				if status, body := e.post(a, e.token()); status != http.StatusOK {
					t.Fatalf("tried again: HTTP %d %s", status, body)
				}
				e.deliver()
				if l := e.lead(id); !tt.done(l) {
					t.Errorf("tried again: lead %s owned by %+v, want it done", l.Stage, l.Owner)
				}
			})
		}
	})
}

// submitClick is user's Action.Submit click of action on lead's card in
// the sales channel.
func (e *teamsEnv) submitClick(user, name, action string, lead int64) map[string]any {
	click := e.activity("message", user, name, salesID+";messageid=99")
	click["replyToId"] = "99"
	click["value"] = map[string]any{"action": action, "value": fmt.Sprint(lead)}
	return click
}

// events counts the lead's events.
func (e *teamsEnv) events(id int64) int {
	e.t.Helper()
	events, err := e.store.Events(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return len(events)
}
