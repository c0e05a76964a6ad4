package handlers_test

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/bot/teams"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// storeClosed is the driver's error of a store whose database is closed
// (storagetest.Closed).
const storeClosed = "database is closed"

// accountUnknown is what a Slack user is told when Slack could not say
// whether they are a full member of the workspace.
const accountUnknown = "Sorry, I could not check your Slack account just now."

// TestSlackRoleCheckWhenTheStoreFails: the sales channel's members are
// shared between replicas through the store (SalesMembers.Share), which
// each role check reads first. When that read fails (here: the store's
// database is closed), Slack answered nothing wrong: a click (Claim) and a
// Reassign form whose role check hits it are internal errors, answered as
// the HTTP edge answers those (500, logged once at error level with the
// store's error), and the user is not told that Slack did not answer.
// Before, both were bot.RoleUnknownErrors: the click was answered "Handoff
// could not check your role just now (Slack did not answer)" and the form
// "could not check the new owner just now (Slack did not answer)", each
// logged as a warning.
func TestSlackRoleCheckWhenTheStoreFails(t *testing.T) {
	tests := []struct {
		name string
		send func(t *testing.T, r *slackRig, lead int64) (int, string)
	}{
		{name: "Claim", send: func(t *testing.T, r *slackRig, lead int64) (int, string) {
			return r.click(t, "UREP", bot.ActionClaim, lead)
		}},
		{name: "ReassignForm", send: func(t *testing.T, r *slackRig, lead int64) (int, string) {
			// UBOSS, a manager by the user group, may open the form
			// whatever the sales channel's members.
			if status, body := r.click(t, "UBOSS", bot.ActionReassign, lead); status != http.StatusOK {
				t.Fatalf("open the form: HTTP %d %s", status, body)
			}
			state := fmt.Sprintf(`{"lead":%d,"channel":%q}`, lead, salesChannel)
			return r.send(t, "/slack/interactions", signingSecret, time.Now(),
				slacktest.SubmitPayload("UBOSS", bot.ActionReassign, state, map[string]string{"user:owner": "UNEW"}))
		}},
	}
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := newSlackRig(t, s, nil)
				r.members.Share(storagetest.Closed(t, s.Dialect()))
				l := r.announced(t, fmt.Sprintf("store-fails-%d", i))
				status, body := tt.send(t, r, l.ID)
				r.drain(t)
				if status != http.StatusInternalServerError {
					t.Errorf("HTTP %d %s, want 500 (an internal error)", status, body)
				}
				if got := r.lead(t, l.ID); got.Stage != handoff.StageSQL || !got.Owner.IsZero() {
					t.Errorf("lead %s owned by %+v, want an SQL nobody owns", got.Stage, got.Owner)
				}
				told := r.told(body)
				for _, text := range told {
					if strings.Contains(text, "did not answer") {
						t.Errorf("the user was told %q", text)
					}
				}
				if err := storeFailureLogged(r.logs.String()+r.reqLogs.String(), storeClosed); err != nil {
					t.Error(err)
				}
			})
		}
	})
}

// TestSlackAccountCheckWhenTheStoreFails: every command, click and form
// first checks that its user is a full member of the workspace
// (Workspace.Check), which reads the users' changes the replicas share
// through the store (Workspace.Share) before asking users.info. When
// that read fails (here: the store's database is closed), Slack answered
// nothing wrong: the request fails as an internal error does on its path
// (a command's "Sorry, `/funnel` failed", logged once at error level; a
// click's and a form's HTTP 500, logged once by the handlers), and the
// user is not told that their Slack account could not be checked. When
// Slack is the one that fails (users.info answers an error), the user is
// still told so. Before, the store's failure was answered as Slack's:
// "Sorry, I could not check your Slack account just now".
func TestSlackAccountCheckWhenTheStoreFails(t *testing.T) {
	type request func(t *testing.T, r *slackRig, lead int64) (int, string)
	command := func(t *testing.T, r *slackRig, _ int64) (int, string) {
		return r.send(t, "/slack/commands", signingSecret, time.Now(),
			slacktest.CommandBody("UREP", salesChannel, "/funnel", "month", r.slack.ResponseURL("UREP")))
	}
	click := func(t *testing.T, r *slackRig, lead int64) (int, string) {
		return r.click(t, "UREP", bot.ActionClaim, lead)
	}
	form := func(t *testing.T, r *slackRig, lead int64) (int, string) {
		state := fmt.Sprintf(`{"lead":%d,"channel":%q}`, lead, salesChannel)
		return r.send(t, "/slack/interactions", signingSecret, time.Now(),
			slacktest.SubmitPayload("UREP", bot.ActionNotAFit, state, map[string]string{"reason": "spam"}))
	}
	tests := []struct {
		name       string
		store      bool // the store fails, else Slack's users.info
		send       request
		wantStatus int
		wantTold   string // in what the user is told; "" for nothing
	}{
		{"StoreFailsCommand", true, command, http.StatusOK, "Sorry, `/funnel` failed. Please try again."},
		{"StoreFailsClick", true, click, http.StatusInternalServerError, ""},
		{"StoreFailsForm", true, form, http.StatusInternalServerError, ""},
		{"SlackFailsCommand", false, command, http.StatusOK, accountUnknown},
		{"SlackFailsClick", false, click, http.StatusOK, accountUnknown},
		{"SlackFailsForm", false, form, http.StatusOK, accountUnknown},
	}
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := newSlackRig(t, s, nil)
				l := r.announced(t, fmt.Sprintf("account-%d", i))
				if tt.store {
					r.workspace.Share(storagetest.Closed(t, s.Dialect()))
				} else {
					r.slack.ErrorNext("users.info", 1, "fatal_error")
				}
				status, body := tt.send(t, r, l.ID)
				r.drain(t)
				if status != tt.wantStatus {
					t.Errorf("HTTP %d %s, want %d", status, body, tt.wantStatus)
				}
				if got := r.lead(t, l.ID); got.Stage != handoff.StageSQL || !got.Owner.IsZero() {
					t.Errorf("lead %s owned by %+v, want an SQL nobody owns", got.Stage, got.Owner)
				}
				told := r.told(body)
				all := strings.Join(told, "\n")
				if tt.wantTold != "" && !strings.Contains(all, tt.wantTold) {
					t.Errorf("the user was told %q, want %q", told, tt.wantTold)
				}
				if !tt.store {
					return
				}
				if strings.Contains(all, "Slack account") {
					t.Errorf("the user was told %q, that Slack failed", told)
				}
				if err := storeFailureLogged(r.logs.String()+r.reqLogs.String(), storeClosed); err != nil {
					t.Error(err)
				}
			})
		}
	})
}

// TestSlackReassignWhenUsersInfoOutlastsTheClientTimeout: a Reassign
// form whose new owner's users.info answers after the Web API client's
// timeout (the fake waits until the client gives up) is answered with
// bot.OwnerUnknown on the owner input, as a users.info error is: the
// client's timeout is Slack not answering, not a failure of Handoff's.
func TestSlackReassignWhenUsersInfoOutlastsTheClientTimeout(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		// A timeout every other call of the rig meets in time even on a
		// loaded machine (the form's opening, the drain's posts); the fake
		// answers users.info only once the client gave up on it.
		r := newSlackRigWith(t, s, nil, time.Second)
		l := r.announced(t, "owner-slow")
		// The manager opens the form: their own users.info is read and kept.
		if status, body := r.click(t, "UBOSS", bot.ActionReassign, l.ID); status != http.StatusOK {
			t.Fatalf("open the form: HTTP %d %s", status, body)
		}
		r.drain(t)
		r.slack.SlowNext("users.info", 1, 30*time.Second)
		state := fmt.Sprintf(`{"lead":%d,"channel":%q}`, l.ID, salesChannel)
		status, body := r.send(t, "/slack/interactions", signingSecret, time.Now(),
			slacktest.SubmitPayload("UBOSS", bot.ActionReassign, state, map[string]string{"user:owner": "UNEW"}))
		if status != http.StatusOK {
			t.Fatalf("HTTP %d %s, want 200 and an error on the owner input", status, body)
		}
		if err := slacktest.OwnerUnknownAnswered([]byte(body), r.logs.String(), "UNEW"); err != nil {
			t.Fatal(err)
		}
		r.drain(t)
		if got := r.lead(t, l.ID); !got.Owner.IsZero() {
			t.Fatalf("lead owned by %+v, want nobody", got.Owner)
		}
	})
}

// TestTeamsRoleCheckWhenTheStoreFails: the sales channel's team members
// are shared between replicas through the store (SalesMembers.Share),
// which each role check reads first. When that read fails (here: the
// store's database is closed), the Bot Connector answered nothing wrong:
// a click (Claim, Action.Execute) and a Reassign form whose role check
// hits it are failed card actions, answered as the app answers those
// (invoke 500 "Sorry, that did not work", logged once at error level with
// the store's error), and the user is not told that Teams did not answer.
// Before, the click was answered 503 "could not read your role ...
// (Microsoft Teams did not answer)" and the form "could not check the new
// owner just now (Teams did not answer)", each logged as a warning.
func TestTeamsRoleCheckWhenTheStoreFails(t *testing.T) {
	const annID, annAAD = "29:ann-store", "6d0c1b2a-3e4f-4a5b-9c8d-7e6f5a4b3c2e"
	tests := []struct {
		name string
		send func(t *testing.T, e *teamsEnv, lead int64) teamsInvokeResponse
	}{
		{name: "Claim", send: func(t *testing.T, e *teamsEnv, lead int64) teamsInvokeResponse {
			return e.invoke(ritaID, "Rita Rep", map[string]any{"action": bot.ActionClaim, "value": fmt.Sprint(lead)})
		}},
		{name: "ReassignForm", send: func(t *testing.T, e *teamsEnv, lead int64) teamsInvokeResponse {
			// The manager, named in TEAMS_MANAGERS, may open the form
			// whatever the team's members.
			form := e.invoke(managerID, "Boss", map[string]any{"action": bot.ActionReassign, "value": fmt.Sprint(lead)})
			data := map[string]any{"in_owner": annAAD}
			for k, v := range formSubmitData(t, form) {
				data[k] = v
			}
			return e.invoke(managerID, "Boss", data)
		}},
	}
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e, id := storeFailingTeamsEnv(t, s, annID, annAAD, fmt.Sprintf("store-fails-%d", i))
				res := tt.send(t, e, id)
				if res.StatusCode != http.StatusInternalServerError || !strings.Contains(res.raw, "Sorry, that did not work") {
					t.Errorf("answered %s, want the invoke error 500 of a failed card action", res.raw)
				}
				if strings.Contains(res.raw, "did not answer") {
					t.Errorf("the user was told %s", res.raw)
				}
				if l := e.lead(id); l.Stage != handoff.StageSQL || !l.Owner.IsZero() {
					t.Errorf("lead %s owned by %+v, want an SQL nobody owns", l.Stage, l.Owner)
				}
				if err := storeFailureLogged(e.logs.String(), storeClosed); err != nil {
					t.Error(err)
				}
			})
		}
	})
}

// told is what the user was told: the answer to their request (body)
// and every private message and response_url answer so far.
func (r *slackRig) told(body string) []string {
	told := []string{body}
	for _, c := range append(r.slack.Calls("chat.postEphemeral"), r.slack.Calls("response_url")...) {
		told = append(told, c.Param("text"))
	}
	return told
}

// storeFailingTeamsEnv returns a Teams rig, installed, whose sales
// channel's team members are shared through a store that fails
// (storagetest.Closed), with Ann (annID, annAAD), who wrote to the bot,
// stored to be picked as a new owner, and the id of a new SQL (ext)
// posted to the sales channel.
func storeFailingTeamsEnv(t *testing.T, s *storage.Store, annID, annAAD, ext string) (*teamsEnv, int64) {
	t.Helper()
	e := newTeamsEnv(t, s, nil)
	e.install()
	chat := "a:" + strings.TrimPrefix(annID, "29:")
	ann := handoff.TeamsUser{ID: annID, AADObjectID: annAAD, Name: "Ann New", TenantID: tenantID,
		ServiceURL: e.bf.ServiceURL(), WroteIn: chat, DMConversationID: chat}
	if err := s.SaveTeamsUser(context.Background(), ann, time.Now()); err != nil {
		t.Fatal(err)
	}
	e.members.Share(storagetest.Closed(t, s.Dialect()))
	id := e.newSQL(ext)
	e.deliver()
	return e, id
}

// deliverTold delivers the outbox and returns what it sent, each as its
// conversation, ": " and the message.
func (e *teamsEnv) deliverTold() []string {
	e.t.Helper()
	before := len(callsOf(e.bf, "send"))
	e.deliver()
	var told []string
	for _, c := range callsOf(e.bf, "send")[before:] {
		told = append(told, c.ConversationID+": "+cardText(c))
	}
	return told
}

// storeFailureLogged returns nil when log holds one line naming the
// store's error (storeErr), at error level, and no warning that the
// platform could not tell ("is not known").
func storeFailureLogged(log, storeErr string) error {
	var named []string
	for line := range strings.Lines(log) {
		if strings.Contains(line, "is not known") {
			return fmt.Errorf("logged %q, a warning that the platform could not tell", strings.TrimSpace(line))
		}
		if strings.Contains(line, storeErr) {
			named = append(named, strings.TrimSpace(line))
		}
	}
	if len(named) != 1 || !strings.Contains(named[0], "level=ERROR") {
		return fmt.Errorf("logged %q, want one error naming %q\n%s", named, storeErr, log)
	}
	return nil
}

// TestTeamsCommandWhenTheStoreFails: every command first checks that its
// sender is a full member of the tenant (SalesMembers.IsGuest), which
// reads the team's member changes the replicas share through the store.
// When that read fails (here: the store's database is closed), Teams
// answered nothing wrong: the command is answered as one whose answer
// failed on Handoff's side is, "Sorry, **funnel** failed. Please try again."
// in the sender's chat, logged once at error level with the store's
// error. When it is the Bot Connector that does not answer, the sender is
// still told that Handoff could not check just now that they are a full
// member (teams.NotKnownMember), logged as a warning. Before, the store's
// failure was answered NotKnownMember too.
func TestTeamsCommandWhenTheStoreFails(t *testing.T) {
	tests := []struct {
		name     string
		store    bool // the store fails, else the Bot Connector
		wantTold string
	}{
		{"StoreFails", true, "Sorry, **funnel** failed. Please try again."},
		{"TeamsFails", false, "could not check just now that you are a full member"},
	}
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e := newTeamsEnv(t, s, nil)
				e.install()
				if tt.store {
					e.members.Share(storagetest.Closed(t, s.Dialect()))
				}
				user, personal := fmt.Sprintf("29:cmd-store-%d", i), fmt.Sprintf("a:cmd-store-%d", i)
				a := e.activity("message", user, "Cora Command", personal)
				a["text"] = "funnel"
				if !tt.store {
					e.bf.Unavailable(1000, "") // the Bot Connector does not answer
				}
				status, body := e.post(a, e.token())
				e.bf.Unavailable(0, "")
				if status != http.StatusOK {
					t.Fatalf("HTTP %d %s, want 200", status, body)
				}
				told := e.deliverTold()
				if len(told) != 1 || !strings.HasPrefix(told[0], personal+": ") || !strings.Contains(told[0], tt.wantTold) {
					t.Errorf("the sender was told %q, want %q once in their chat", told, tt.wantTold)
				}
				log := e.logs.String() + e.reqLogs.String()
				if !tt.store {
					if warned := e.logs.Lines("is not known"); len(warned) != 1 || !strings.Contains(warned[0], "level=WARN") {
						t.Errorf("logged %q, want one warning that Teams could not tell\n%s", warned, log)
					}
					return
				}
				if err := storeFailureLogged(log, storeClosed); err != nil {
					t.Error(err)
				}
			})
		}
	})
}

// TestTeamsSubmitWhenTheStoreFails: an Action.Submit click (a message
// activity with a value, from a client without Universal Actions) and a
// Reassign form sent as one (from the manager's chat with the bot, where
// the form was sent) check the sender's role, and the form its new owner,
// reading the team's member changes the replicas share through the store.
// When that read fails (here: the store's database is closed), Teams
// answered nothing wrong: nothing is done, the sender is told once in
// their chat with the bot that it could not be recorded and to try again
// (teams.NotRecorded, as an Action.Execute click is told on its card),
// the activity is answered 200, the failure logged once at error level
// with the store's error, and a delivery again by Bot Framework is
// dropped: neither told again nor run. Nobody is told that Teams did not
// answer. Before, it was answered 500 for Bot Framework to deliver again,
// and the sender was told nothing.
func TestTeamsSubmitWhenTheStoreFails(t *testing.T) {
	const annID, annAAD = "29:ann-submit-store", "6d0c1b2a-3e4f-4a5b-9c8d-7e6f5a4b3c30"
	tests := []struct {
		name     string
		activity func(t *testing.T, e *teamsEnv, lead int64) map[string]any
		toldIn   string // the sender's chat with the bot: its user when the bot opened it, else its id
	}{
		{name: "Claim", activity: func(t *testing.T, e *teamsEnv, lead int64) map[string]any {
			click := e.activity("message", ritaID, "Rita Rep", salesID+";messageid=99")
			click["replyToId"] = "99"
			click["value"] = map[string]any{"action": bot.ActionClaim, "value": fmt.Sprint(lead)}
			return click
		}, toldIn: ritaID},
		{name: "ReassignForm", activity: func(t *testing.T, e *teamsEnv, lead int64) map[string]any {
			// The manager, named in TEAMS_MANAGERS, may open the form
			// whatever the team's members.
			form := e.invoke(managerID, "Boss", map[string]any{"action": bot.ActionReassign, "value": fmt.Sprint(lead)})
			data := map[string]any{"in_owner": annAAD}
			for k, v := range formSubmitData(t, form) {
				data[k] = v
			}
			submit := e.activity("message", managerID, "Boss", "a:boss-store")
			submit["value"] = data
			return submit
		}, toldIn: "a:boss-store"},
	}
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e, id := storeFailingTeamsEnv(t, s, annID, annAAD, fmt.Sprintf("submit-store-%d", i))
				a := tt.activity(t, e, id)
				before := len(e.bf.Calls())
				if status, body := e.post(a, e.token()); status != http.StatusOK {
					t.Errorf("HTTP %d %s, want 200 (the sender told)", status, body)
				}
				e.deliver()
				if told := e.notRecordedSince(before); len(told) != 1 || told[0] != tt.toldIn {
					t.Errorf("told %q that it was not recorded, want once in %s", told, tt.toldIn)
				}
				for _, c := range e.bf.Calls()[before:] {
					if text := cardText(c); strings.Contains(text, "did not answer") || strings.Contains(text, "could not check") {
						t.Errorf("%s %s was told %s", c.Op, c.ConversationID, text)
					}
				}
				if l := e.lead(id); l.Stage != handoff.StageSQL || !l.Owner.IsZero() {
					t.Errorf("lead %s owned by %+v, want an SQL nobody owns", l.Stage, l.Owner)
				}
				told := len(e.bf.Calls())
				if status, body := e.post(a, e.token()); status != http.StatusOK {
					t.Errorf("delivered again: HTTP %d %s, want 200 (dropped)", status, body)
				}
				e.deliver()
				if again := e.bf.Calls()[told:]; len(again) != 0 {
					t.Errorf("delivered again: the Bot Connector got %+v, want nothing", again)
				}
				if err := storeFailureLogged(e.logs.String()+e.reqLogs.String(), storeClosed); err != nil {
					t.Error(err)
				}
			})
		}
	})
}

// notRecordedSince returns where the Bot Connector was sent
// teams.NotRecorded since its call before: for each, the user of the
// personal chat the bot opened, else the conversation.
func (e *teamsEnv) notRecordedSince(before int) []string {
	var where []string
	for _, c := range e.bf.Calls()[before:] {
		if c.Op == "send" && strings.Contains(cardText(c), teams.NotRecorded) {
			where = append(where, cmp.Or(e.bf.ChatUser(c.ConversationID), c.ConversationID))
		}
	}
	return where
}
