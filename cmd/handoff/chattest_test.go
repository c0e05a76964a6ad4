package main

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot/slack/slacktest"
	"github.com/handoff/handoff/bot/teams/teamstest"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestChatTest: handoff chat test posts its message to each configured
// channel of Slack and Teams and says what each platform answered: before
// the app is in the managers' Slack channel and in the Teams team, those
// refusals name the fix and the command exits 1; once the admin has
// mended them, every channel takes the message and it exits 0.
func TestChatTest(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			slack := slacktest.New(e2eToken)
			t.Cleanup(slack.Close)
			bf := teamstest.New(t)
			vars := slackAndTeamsVars(t, dialect, bf, slack)
			slack.RemoveBot(e2eManager)
			chatTest := func(wantCode int, want ...string) {
				t.Helper()
				e, out, errOut := testEnv(vars, "chat", "test")
				code := run(context.Background(), e)
				all := out.String() + errOut.String()
				if code != wantCode {
					t.Fatalf("chat test: exit %d, want %d; output:\n%s", code, wantCode, all)
				}
				for _, w := range want {
					if !strings.Contains(all, w) {
						t.Fatalf("chat test: output lacks %q:\n%s", w, all)
					}
				}
			}
			posted := func(channel string) int {
				n := 0
				for _, c := range slack.Calls("chat.postMessage") {
					if c.Param("channel") == channel && c.TS != "" && strings.Contains(c.Param("text")+c.Param("blocks"), "Handoff can post here") {
						n++
					}
				}
				return n
			}

			chatTest(1,
				"slack sales channel CSALES: posted\n",
				"slack managers' channel CMGR: slack chat.postMessage: not_in_channel (the app is not a member of the channel: invite it there with /invite @Handoff)\n",
				"teams sales channel "+teamsTeamName+"/Sales: ", "is not known: install the app in its team first",
				"3 of 4 channels cannot take Handoff's messages yet")
			if posted(e2eSales) != 1 || posted(e2eManager) != 0 {
				t.Fatalf("test messages in Slack: sales %d, managers %d; want 1 and 0", posted(e2eSales), posted(e2eManager))
			}

			// The admin invites the app to the managers' channel and adds
			// it to the Teams team.
			slack.InviteBot(e2eManager)
			e := startTeams(t, bf, vars)
			e.install()
			e.srv.stop()
			chatTest(0, "slack managers' channel CMGR: posted\n", "teams sales channel "+teamsTeamName+"/Sales: posted\n",
				"teams managers' channel "+teamsManagerID+": posted\n")
			if posted(e2eSales) != 2 || posted(e2eManager) != 1 {
				t.Fatalf("test messages in Slack: sales %d, managers %d; want 2 and 1", posted(e2eSales), posted(e2eManager))
			}
			for _, ch := range []string{teamsSalesID, teamsManagerID} {
				n := 0
				for _, c := range e.calls(postedTo(ch)) {
					if strings.Contains(jsonText(c.Body), "Handoff can post here") {
						n++
					}
				}
				if n != 1 {
					t.Errorf("test messages in Teams channel %s: %d, want 1", ch, n)
				}
			}
		})
	}
}

// TestChatTestNothingToTest: without a chat platform, or without a sales
// channel, handoff chat test says what to set and exits 1; a managers'
// channel not set is said but fails nothing.
func TestChatTestNothingToTest(t *testing.T) {
	slack := slacktest.New(e2eToken)
	t.Cleanup(slack.Close)
	// Slack needs no database: chat test neither opens nor creates one.
	db := filepath.Join(t.TempDir(), "never-created.db")
	tests := []struct {
		name     string
		vars     map[string]string
		wantCode int
		want     []string
	}{
		{"no platform", map[string]string{"DATABASE_URL": db}, 1,
			[]string{"no chat platform is configured: set SLACK_BOT_TOKEN (Slack) or TEAMS_APP_ID (Teams)"}},
		{"no sales channel", map[string]string{"DATABASE_URL": db, "SLACK_BOT_TOKEN": e2eToken, "SLACK_API_URL": slack.APIURL(),
			"SLACK_SIGNING_SECRET": e2eSecret, "SLACK_MANAGER_CHANNEL": e2eManager}, 1,
			[]string{"slack sales channel: not set (SLACK_SALES_CHANNEL): new SQLs cannot be posted\n", "slack managers' channel CMGR: posted\n",
				"1 of 2 channels cannot take Handoff's messages yet"}},
		{"no managers' channel", map[string]string{"DATABASE_URL": db, "SLACK_BOT_TOKEN": e2eToken, "SLACK_API_URL": slack.APIURL(),
			"SLACK_SIGNING_SECRET": e2eSecret, "SLACK_SALES_CHANNEL": e2eSales}, 0,
			[]string{"slack sales channel CSALES: posted\n", "slack managers' channel: not set (SLACK_MANAGER_CHANNEL): breaches and the digest are not posted\n"}},
		{"not a subcommand", map[string]string{"DATABASE_URL": db}, 2, []string{"want: handoff chat test"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"chat", "test"}
			if tt.wantCode == 2 {
				args = []string{"chat", "check"}
			}
			e, out, errOut := testEnv(tt.vars, args...)
			code := run(context.Background(), e)
			all := out.String() + errOut.String()
			for _, w := range tt.want {
				if code != tt.wantCode || !strings.Contains(all, w) {
					t.Fatalf("exit %d, output %q; want exit %d containing %q", code, all, tt.wantCode, w)
				}
			}
			if _, err := os.Stat(db); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("chat test made a database at %s (stat: %v)", db, err)
			}
		})
	}
}

// TestChatTestQueuesWhatTheChannelsRefused: the cards the Slack sales
// channel and the Teams team refused while the app was out of them are
// given up; the app is let back in while handoff serve is down, so neither
// platform's word reaches it. handoff chat test, its message taken by both
// channels, queues each card again and says so; a second run finds
// nothing more to queue.
func TestChatTestQueuesWhatTheChannelsRefused(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			e, slack, bf := startWithCardsRefused(t, dialect)
			e.srv.stop()
			slack.InviteBot(e2eSales)
			bf.Refuse(teamsSalesID, 0, "")

			for _, want := range [][]string{
				{"slack sales channel CSALES: posted; 1 message it refused before is queued again\n",
					"teams sales channel " + teamsTeamName + "/Sales: posted; 1 message it refused before is queued again\n",
					"handoff serve posts what was queued again within 30s (handoff outbox list shows what waits)\n"},
				{"slack sales channel CSALES: posted\n", "teams sales channel " + teamsTeamName + "/Sales: posted\n"},
			} {
				ev, out, errOut := testEnv(e.vars, "chat", "test")
				code := run(context.Background(), ev)
				all := out.String() + errOut.String()
				for _, w := range want {
					if code != 0 || !strings.Contains(all, w) {
						t.Fatalf("chat test: exit %d, output:\n%s\nwant exit 0 and %q", code, all, w)
					}
				}
				if len(want) == 2 && strings.Contains(all, "queued again") {
					t.Fatalf("second chat test queued again:\n%s", all)
				}
				e.waitDeadCards("nothing", nil)
			}
			pending, err := e.store.TakeOutbox(context.Background(), time.Now().Add(time.Minute), 10, time.Minute, "test")
			if err != nil {
				t.Fatal(err)
			}
			cards := map[string]int{}
			for _, m := range pending {
				if m.Kind == handoff.OutboxAnnounceLead {
					cards[m.Platform]++
				}
			}
			if cards["slack"] != 1 || cards["teams"] != 1 {
				t.Fatalf("cards waiting to be posted = %v, want one on each platform", cards)
			}
		})
	}
}

// TestChatTestSlackAlone: a test of Slack alone opens a database that
// exists, and queues again what the channel that took its message had
// refused; a database that cannot be opened is said and the channels are
// tested all the same.
func TestChatTestSlackAlone(t *testing.T) {
	slack := slacktest.New(e2eToken)
	t.Cleanup(slack.Close)
	slackVars := func(db string) map[string]string {
		return map[string]string{"DATABASE_URL": db, "SLACK_BOT_TOKEN": e2eToken, "SLACK_API_URL": slack.APIURL(),
			"SLACK_SIGNING_SECRET": e2eSecret, "SLACK_SALES_CHANNEL": e2eSales, "SLACK_MANAGER_CHANNEL": e2eManager}
	}
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			db := storagetest.URL(t, dialect)
			s := storagetest.OpenURL(t, db, storage.Options{})
			now := time.Now().UTC()
			if err := s.Enqueue(ctx, now, handoff.OutboxMessage{Kind: handoff.OutboxEscalate, Platform: "slack"}); err != nil {
				t.Fatal(err)
			}
			taken, err := s.TakeOutbox(ctx, now, 1, time.Minute, "test")
			if err != nil || len(taken) != 1 {
				t.Fatalf("take = %+v, %v", taken, err)
			}
			if errs := s.RecordOutbox(ctx, handoff.OutboxOutcome{Message: taken[0], At: now, Dead: true, Cause: "not_in_channel", RefusedBy: e2eManager}); errs[0] != nil {
				t.Fatal(errs[0])
			}

			e, out, errOut := testEnv(slackVars(db), "chat", "test")
			code := run(ctx, e)
			all := out.String() + errOut.String()
			if want := "slack managers' channel CMGR: posted; 1 message it refused before is queued again\n"; code != 0 || !strings.Contains(all, want) {
				t.Fatalf("chat test: exit %d, output:\n%s\nwant exit 0 and %q", code, all, want)
			}
			if dead, err := s.DeadOutbox(ctx, 0); err != nil || len(dead) != 0 {
				t.Fatalf("dead after chat test = %+v, %v; want none", dead, err)
			}
		})
	}
	t.Run("database down", func(t *testing.T) {
		e, out, errOut := testEnv(slackVars("postgres://postgres@127.0.0.1:1/none?sslmode=disable&connect_timeout=2"), "chat", "test")
		code := run(context.Background(), e)
		all := out.String() + errOut.String()
		for _, want := range []string{"database not opened (", "): what the channels refused before waits for handoff serve or handoff outbox retry\n",
			"slack sales channel CSALES: posted\n", "slack managers' channel CMGR: posted\n"} {
			if code != 0 || !strings.Contains(all, want) {
				t.Fatalf("chat test: exit %d, output:\n%s\nwant exit 0 and %q", code, all, want)
			}
		}
	})
}
