package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

func TestOutboxCommands(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			vars := map[string]string{"DATABASE_URL": storagetest.URL(t, dialect)}
			store := storagetest.OpenURL(t, vars["DATABASE_URL"], storage.Options{})
			now := time.Now().UTC()
			if err := store.Enqueue(ctx, now, handoff.OutboxMessage{Kind: "lead.announce", LeadID: 41, Platform: "slack"},
				handoff.OutboxMessage{Kind: "sla.escalate", LeadID: 42}, // every platform's managers' channel
				handoff.OutboxMessage{Kind: "lead.refresh", LeadID: 43, Platform: "slack"}); err != nil {
				t.Fatal(err)
			}
			taken, err := store.TakeOutbox(ctx, now, 3, time.Minute, "test")
			if err != nil || len(taken) != 3 {
				t.Fatalf("take = %+v, %v", taken, err)
			}
			// The second error is longer than the table's column: the table
			// keeps its end, the platform's answer and what to do about it.
			teamsErr := "escalate lead 42 to teams 19:3a5f0c2e9b7d4c1e8f6a2b0d9c7e5f3a@thread.tacv2: " +
				"teams POST v3/conversations/19%3A3a5f0c2e9b7d4c1e8f6a2b0d9c7e5f3a%40thread.tacv2/activities: " +
				"HTTP 403 BotNotInConversationRoster: The bot is not part of the conversation roster. " +
				"(the app is not in that team or chat (removed or uninstalled): add Handoff to the team again)"
			refused := handoff.OutboxOutcome{Message: taken[0], At: now, Dead: true, Cause: "slack chat.postMessage: channel_not_found\nline two", RefusedBy: "C0SALES"}
			if errs := store.RecordOutbox(ctx, refused); errs[0] != nil {
				t.Fatal(errs[0])
			}
			if err := store.FailOutbox(ctx, taken[1], now, teamsErr); err != nil {
				t.Fatal(err)
			}
			a, b := taken[0].ID, taken[1].ID
			srv := startServer(t, vars)
			srv.metricsContain(t, "handoff_outbox_dead 2")
			srv.stop()
			steps := []struct {
				args     []string
				wantCode int
				want     []string
			}{
				{[]string{"outbox", "-h"}, 0, []string{"handoff outbox list [--format", "handoff_outbox_dead", "-all"}},
				{[]string{"outbox", "retry", "-h"}, 0, []string{"retry ID... | --all"}},
				{[]string{"outbox"}, 2, []string{"give list, retry or drop", "usage: handoff outbox"}},
				{[]string{"outbox", "resend"}, 2, []string{`unknown subcommand "resend"`}},
				{[]string{"outbox", "retry"}, 2, []string{"give message ids or --all"}},
				{[]string{"outbox", "drop", "x1"}, 2, []string{`not a message id: "x1"`}},
				{[]string{"outbox", "list", "dead"}, 2, []string{`unexpected argument "dead"`}},
				{[]string{"outbox", "list", "--format", "xml"}, 2, []string{"--format must be table or json"}},
				{[]string{"outbox", "retry", "1", "--bogus"}, 2, []string{"flag provided but not defined"}},
				{[]string{"outbox", "list"}, 0, []string{"REFUSED BY  LAST ERROR", "lead.announce  41    slack", "sla.escalate   42    all", "sla.escalate",
					"C0SALES     slack chat.postMessage: channel_not_found line two", "–           …ad.tacv2",
					"1 of 2 refused by a channel (REFUSED BY): queued again by themselves once the app is back there (or by handoff chat test); retry queues them now\n",
					"…ad.tacv2/activities: HTTP 403 BotNotInConversationRoster: The bot is not part of the conversation roster. " +
						"(the app is not in that team or chat (removed or uninstalled): add Handoff to the team again)\n"}},
				{[]string{"outbox", "list", "--format", "json"}, 0, []string{fmt.Sprintf(`"id": %d`, b), `"kind": "sla.escalate"`, `"last_error": "escalate lead 42 to teams 19:3a5f`, `"refused_by": "C0SALES"`}},
				{[]string{"outbox", "retry", fmt.Sprint(a), fmt.Sprint(taken[2].ID)}, 1, []string{"1 dead message queued again", "1 of the 2 ids are not dead"}},
				{[]string{"outbox", "drop", "--all"}, 0, []string{"1 dead message dropped"}},
				{[]string{"outbox", "list"}, 0, []string{"no dead messages"}},
			}
			for _, st := range steps {
				e, out, errOut := testEnv(vars, st.args...)
				code := run(ctx, e)
				all := out.String() + errOut.String()
				for _, w := range st.want {
					if code != st.wantCode || !strings.Contains(all, w) {
						t.Fatalf("%v: exit %d, output %q; want exit %d containing %q", st.args, code, all, st.wantCode, w)
					}
				}
			}
			msgs, err := store.OutboxMessages(ctx, 41)
			if err != nil || len(msgs) != 1 || msgs[0].Status != storage.OutboxPending || msgs[0].Attempts != 0 || msgs[0].Requeued.IsZero() {
				t.Fatalf("retried message = %+v, %v; want pending again, requeued", msgs, err)
			}
			// Dead again, the listing says when it was queued again.
			again, err := store.TakeOutbox(ctx, msgs[0].Due, 1, time.Minute, "test")
			if err != nil || len(again) != 1 {
				t.Fatalf("take the retried message = %+v, %v", again, err)
			}
			if err := store.FailOutbox(ctx, again[0], msgs[0].Due, "channel_not_found"); err != nil {
				t.Fatal(err)
			}
			requeued := msgs[0].Requeued.Format("2006-01-02T15:04:05") // to the second, in both formats
			for format, want := range map[string]string{"table": "REQUEUED", "json": `"requeued": "`} {
				e, out, errOut := testEnv(vars, "outbox", "list", "--format", format)
				if code := run(ctx, e); code != 0 || !strings.Contains(out.String(), want) || !strings.Contains(out.String(), requeued) {
					t.Fatalf("outbox list --format %s: exit %d, %q%s; want %q and the time it was requeued, %s", format, code, out, errOut, want, requeued)
				}
			}
			if msgs, _ := store.OutboxMessages(ctx, 42); len(msgs) != 0 {
				t.Fatalf("dropped message still there: %+v", msgs)
			}
		})
	}
}
