package handlers_test

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/internal/testkit"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// failureLogged returns nil when records holds at least one record naming
// the failure (names) and every such record is at level want; with want a
// warning (the platform did not answer), nothing at all is logged at error
// level.
func failureLogged(records *testkit.Records, names string, want slog.Level) error {
	named := records.Naming(names)
	if len(named) == 0 {
		return fmt.Errorf("nothing logged names %q; logged %+v", names, records.Naming(""))
	}
	for _, rec := range named {
		if rec.Level != want {
			return fmt.Errorf("logged %q at %s, want %s: %+v", rec.Msg, rec.Level, want, rec)
		}
	}
	if want != slog.LevelWarn {
		return nil
	}
	for _, rec := range records.Naming("") {
		if rec.Level >= slog.LevelError {
			return fmt.Errorf("logged %q at %s, when only the platform failed: %+v", rec.Msg, rec.Level, rec)
		}
	}
	return nil
}

// TestSlackUnansweredIsAWarning: when Slack does not answer what a request
// needs to know of its user (users.info for their account, the sales
// channel's members for whether they may see leads), it is Slack's
// failure, not Handoff's: logged as a warning, and the user is told that
// Slack could not say. When Handoff's own store fails on the way, it is
// logged as an error. Before, a users.info failure was logged at error
// level ("slack: cannot check the user's membership"), and so was a /sla
// whose user's membership Slack did not give ("slack: command failed",
// answered "Sorry, `/sla` failed").
func TestSlackUnansweredIsAWarning(t *testing.T) {
	type request func(t *testing.T, r *slackRig, lead int64) (int, string)
	command := func(name string) request {
		return func(t *testing.T, r *slackRig, _ int64) (int, string) {
			return r.send(t, "/slack/commands", signingSecret, time.Now(),
				slacktest.CommandBody("UREP", salesChannel, name, "month", r.slack.ResponseURL("UREP")))
		}
	}
	click := func(t *testing.T, r *slackRig, lead int64) (int, string) {
		return r.click(t, "UREP", bot.ActionClaim, lead)
	}
	form := func(t *testing.T, r *slackRig, lead int64) (int, string) {
		state := fmt.Sprintf(`{"lead":%d,"channel":%q}`, lead, salesChannel)
		return r.send(t, "/slack/interactions", signingSecret, time.Now(),
			slacktest.SubmitPayload("UREP", bot.ActionNotAFit, state, map[string]string{"reason": "spam"}))
	}
	usersInfoFails := func(_ *testing.T, r *slackRig, _ string) { r.slack.ErrorNext("users.info", 1, "fatal_error") }
	membersFail := func(_ *testing.T, r *slackRig, _ string) {
		r.slack.ErrorNext("conversations.members", 1000, "internal_error")
	}
	tests := []struct {
		name     string
		fail     func(t *testing.T, r *slackRig, d string)
		send     request
		names    string // in every record of the failure
		want     slog.Level
		wantTold string
	}{
		{"UsersInfoCommand", usersInfoFails, command("/funnel"), "fatal_error", slog.LevelWarn, accountUnknown},
		{"UsersInfoClick", usersInfoFails, click, "fatal_error", slog.LevelWarn, accountUnknown},
		{"UsersInfoForm", usersInfoFails, form, "fatal_error", slog.LevelWarn, accountUnknown},
		{"MembersSLA", membersFail, command("/sla"), "internal_error", slog.LevelWarn, "could not check your role just now (Slack did not answer)"},
		{"MembersClick", membersFail, click, "internal_error", slog.LevelWarn, "could not check your role just now (Slack did not answer)"},
		{"StoreFailsCommand", func(t *testing.T, r *slackRig, d string) { r.workspace.Share(storagetest.Closed(t, d)) },
			command("/funnel"), storeClosed, slog.LevelError, "Sorry, `/funnel` failed."},
		{"StoreFailsSLA", func(t *testing.T, r *slackRig, d string) { r.members.Share(storagetest.Closed(t, d)) },
			command("/sla"), storeClosed, slog.LevelError, "Sorry, `/sla` failed."},
	}
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := newSlackRig(t, s, slowAnswerer{})
				l := r.announced(t, fmt.Sprintf("unanswered-%d", i))
				tt.fail(t, r, s.Dialect())
				_, body := tt.send(t, r, l.ID)
				r.drain(t)
				if told := r.told(body); !strings.Contains(strings.Join(told, "\n"), tt.wantTold) {
					t.Errorf("the user was told %q, want %q", told, tt.wantTold)
				}
				if got := r.lead(t, l.ID); got.Stage != handoff.StageSQL || !got.Owner.IsZero() {
					t.Errorf("lead %s owned by %+v, want an SQL nobody owns", got.Stage, got.Owner)
				}
				if err := failureLogged(r.levels, tt.names, tt.want); err != nil {
					t.Error(err)
				}
			})
		}
	})
}

// TestTeamsUnansweredIsAWarning: when the Bot Connector does not answer
// what a command needs to know of its sender (whether they are a full
// member; whether they may see leads, for sla: here their email, which
// TEAMS_MANAGERS names managers by), it is Teams' failure, not Handoff's:
// logged as a warning, and the sender is told that Teams could not say.
// When Handoff's own store fails on the way, it is logged as an error.
// Before, an sla whose sender's role the Bot Connector did not give was
// logged at error level ("teams: command failed") and answered "Sorry,
// **sla** failed".
func TestTeamsUnansweredIsAWarning(t *testing.T) {
	tests := []struct {
		name     string
		store    bool // the store fails, else the Bot Connector
		warm     bool // the sender's membership is read (a funnel) before the Bot Connector fails
		command  string
		names    string
		want     slog.Level
		wantTold string
	}{
		{"BotConnectorFunnel", false, false, "funnel", "unavailable by the test", slog.LevelWarn, "could not check just now that you are a full member"},
		{"BotConnectorSLA", false, true, "sla", "unavailable by the test", slog.LevelWarn, "could not read your role in the sales channel's team just now"},
		{"StoreFailsFunnel", true, false, "funnel", storeClosed, slog.LevelError, "Sorry, **funnel** failed."},
	}
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e := newTeamsEnvWith(t, s, fixedAnswerer{}, handoff.DefaultPolicy(), managerID, "boss@example.com")
				e.install()
				user, personal := fmt.Sprintf("29:unanswered-%d", i), fmt.Sprintf("a:unanswered-%d", i)
				if tt.warm {
					// Una is no member of the sales channel's team, and
					// no manager by id: whether she is one by email is
					// asked of the Bot Connector at each sla.
					e.bf.SetMembers(teamID, ritaID)
					e.say(user, "Una Answered", personal, "funnel")
				}
				if tt.store {
					e.members.Share(storagetest.Closed(t, s.Dialect()))
				} else {
					e.bf.Unavailable(1000, "") // the Bot Connector does not answer
				}
				a := e.activity("message", user, "Una Answered", personal)
				a["text"] = tt.command
				status, body := e.post(a, e.token())
				e.bf.Unavailable(0, "")
				if status != 200 {
					t.Fatalf("HTTP %d %s, want 200", status, body)
				}
				told := e.deliverTold()
				if len(told) != 1 || !strings.HasPrefix(told[0], personal+": ") || !strings.Contains(told[0], tt.wantTold) {
					t.Errorf("the sender was told %q, want %q once in their chat", told, tt.wantTold)
				}
				if err := failureLogged(e.levels, tt.names, tt.want); err != nil {
					t.Error(err)
				}
			})
		}
	})
}
