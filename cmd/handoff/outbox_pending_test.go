package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestOutboxDropPendingOfARemovedPlatform: messages for a platform no
// configuration enables any more (Teams removed for good) wait, pending,
// forever; outbox list says so and names the command, and drop --platform
// teams --pending deletes them, saying how many, leaving every other
// message (Slack's, every platform's, a webhook to an endpoint named
// teams) and one a replica holds; it refuses a platform the configuration
// enables.
func TestOutboxDropPendingOfARemovedPlatform(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			vars := map[string]string{"DATABASE_URL": storagetest.URL(t, dialect)}
			store := storagetest.OpenURL(t, vars["DATABASE_URL"], storage.Options{})
			now := time.Now().UTC()
			if err := store.Enqueue(ctx, now.Add(-time.Hour),
				handoff.OutboxMessage{Kind: handoff.OutboxAnnounceLead, LeadID: 51, Platform: "teams"}, // held below
				handoff.OutboxMessage{Kind: handoff.OutboxRefreshLead, LeadID: 52, Platform: "teams"},
				handoff.OutboxMessage{Kind: handoff.OutboxAnnounceLead, LeadID: 53, Platform: "teams"},
				handoff.OutboxMessage{Kind: handoff.OutboxAnnounceLead, LeadID: 54, Platform: "slack"},
				handoff.OutboxMessage{Kind: handoff.OutboxEscalate, LeadID: 55}, // every platform's
				handoff.OutboxMessage{Kind: handoff.OutboxWebhook, LeadID: 56, Platform: "teams", Payload: "{}"},
			); err != nil {
				t.Fatal(err)
			}
			held, err := store.TakeOutbox(ctx, now, 1, time.Hour, "teams-replica", "teams")
			if err != nil || len(held) != 1 || held[0].LeadID != 51 {
				t.Fatalf("take = %+v, %v", held, err)
			}
			slack := map[string]string{"DATABASE_URL": vars["DATABASE_URL"], "SLACK_BOT_TOKEN": "xoxb-test"}
			steps := []struct {
				vars     map[string]string
				args     []string
				wantCode int
				want     []string
			}{
				{vars, []string{"outbox", "drop", "--pending"}, 2, []string{"--pending and --platform go together"}},
				{vars, []string{"outbox", "drop", "--platform", "teams"}, 2, []string{"--pending and --platform go together"}},
				{vars, []string{"outbox", "drop", "--platform", "teams", "--pending", "--all"}, 2, []string{"--pending and --platform go together"}},
				{vars, []string{"outbox", "retry", "--platform", "teams", "--pending"}, 2, []string{"--pending and --platform go together"}},
				{vars, []string{"outbox", "list"}, 0, []string{"no dead messages",
					"1 pending message waits for slack, which this configuration does not enable",
					"2 pending messages wait for teams, which this configuration does not enable: sent once a replica is configured with teams; " +
						"if teams was removed for good, handoff outbox drop --platform teams --pending deletes them"}},
				{slack, []string{"outbox", "list", "--format", "json"}, 0, []string{"[]", "2 pending messages wait for teams"}},
				{slack, []string{"outbox", "drop", "--platform", "slack", "--pending"}, 1, []string{"slack is enabled in this configuration"}},
				{slack, []string{"outbox", "drop", "--platform", "teams", "--pending"}, 1, []string{"2 pending messages for teams dropped",
					"1 pending message for teams held by a replica, which sends them, left"}},
				{slack, []string{"outbox", "list"}, 0, []string{"no dead messages\n"}},
			}
			for _, st := range steps {
				e, out, errOut := testEnv(st.vars, st.args...)
				code := run(ctx, e)
				all := out.String() + errOut.String()
				for _, w := range st.want {
					if code != st.wantCode || !strings.Contains(all, w) {
						t.Fatalf("%v: exit %d, output %q; want exit %d containing %q", st.args, code, all, st.wantCode, w)
					}
				}
				if st.args[1] == "list" && st.vars["SLACK_BOT_TOKEN"] != "" && strings.Contains(all, "for slack") {
					t.Fatalf("%v with Slack enabled: %q, want no word of Slack's messages", st.args, all)
				}
			}
			for lead, want := range map[int64]int{51: 1, 52: 0, 53: 0, 54: 1, 55: 1, 56: 1} {
				msgs, err := store.OutboxMessages(ctx, lead)
				if err != nil || len(msgs) != want {
					t.Errorf("lead %d's messages = %+v, %v; want %d", lead, msgs, err, want)
				}
			}
		})
	}
}
