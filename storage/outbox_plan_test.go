package storage_test

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// The outbox's lease reads the due messages from an index in the order it
// takes them (due time, then id) and stops at its batch, on an outbox
// that grew by 30,000 messages since it was last analysed (an import
// grows it faster than autovacuum analyses it, and autovacuum may be
// off): PostgreSQL, planning on no statistics, read every due message and
// sorted them, on disk, for each batch of 20, 236-494 ms at 120,000
// pending (BENCHMARKS.md, "The outbox draining a large backlog"). So does
// the take of a Slack replica that leaves the managers' work, ten
// escalations at the head of the backlog, to another serving Slack with a
// managers' channel (leaveManagers: a filter with an IN over
// outbox_servers), as well as that other replica's.
func TestTakeOutboxReadsTheDueInOrder(t *testing.T) {
	// SQLite says "USE TEMP B-TREE FOR ORDER BY" and PostgreSQL "Sort" or
	// "Incremental Sort" for a sort; "SCAN outbox" and "Seq Scan on
	// outbox" for a full read.
	sorted := regexp.MustCompile(`(?i)TEMP B-TREE|Sort\b|(^|\s)SCAN outbox\b|Seq Scan on outbox`)
	storagetest.EachRaw(t, func(t *testing.T, s *storage.Store, raw *sql.DB) {
		ctx := context.Background()
		for _, q := range append(chatBacklog(s.Dialect(), 30000), "UPDATE outbox SET kind = 'sla.escalate' WHERE id <= 10") {
			if _, err := raw.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
		for _, w := range slackReplicas(t, s, t0) {
			chat, webhooks, err := s.ExplainTakeOutbox(ctx, t0, w, "slack")
			if err != nil {
				t.Fatal(err)
			}
			// The webhooks' lease reads the index of the webhook messages
			// alone, which the chat backlog does not enter.
			for name, read := range map[string]struct{ plan, index string }{"chat": {chat, "idx_outbox_status_due_id"}, "webhooks": {webhooks, "idx_outbox_webhook_due"}} {
				plan := read.plan
				if !regexp.MustCompile(read.index + `\b`).MatchString(plan) {
					t.Errorf("%s, %s: plan does not read %s:\n%s", w, name, read.index, plan)
				}
				if sorted.MatchString(plan) {
					t.Errorf("%s, %s: plan sorts or reads the whole outbox:\n%s", w, name, plan)
				}
			}
			if leaves := regexp.MustCompile(`outbox_servers\b`).MatchString(chat); leaves != (w == "without") {
				t.Errorf("%s, chat: plan reads outbox_servers %v, want %v:\n%s", w, leaves, w == "without", chat)
			}
		}
	})
}

// Migrate replaces an earlier version's index on the outbox's (status,
// due_ms) by idx_outbox_status_due_id.
func TestMigrateReplacesTheOutboxIndex(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		for _, ddl := range []string{"DROP INDEX idx_outbox_status_due_id", "CREATE INDEX idx_outbox_status_due ON outbox (status, due_ms)"} {
			if err := s.Exec(ctx, ddl); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		names, err := s.TableIndexes(ctx, "outbox")
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains(names, "idx_outbox_status_due") || !slices.Contains(names, "idx_outbox_status_due_id") {
			t.Errorf("outbox indexes after Migrate: %v; want idx_outbox_status_due_id and not idx_outbox_status_due", names)
		}
	})
}

// slackReplicas records two replicas serving Slack at now and returns
// their names: "with", which has a managers' channel there, and
// "without", which said it has none and so leaves the managers' work to
// "with" (leaveManagers).
func slackReplicas(t *testing.T, s *storage.Store, now time.Time) []string {
	t.Helper()
	s.ManagersChannels("with", "slack")
	s.ManagersChannels("without")
	workers := []string{"with", "without"}
	for _, w := range workers {
		if err := s.ServeOutbox(context.Background(), w, now, time.Minute, "slack"); err != nil {
			t.Fatal(err)
		}
	}
	return workers
}

// chatBacklog is the SQL that queues n pending chat messages, 300 due at
// each time (ms 0, 1, …), as an import's batches queue them, on an outbox
// no one analyses: autovacuum off on PostgreSQL (an import grows the
// outbox faster than autovacuum analyses it, and it may be off).
func chatBacklog(dialect string, n int) []string {
	if dialect == storage.DialectPostgres {
		return []string{"ALTER TABLE outbox SET (autovacuum_enabled = false)", fmt.Sprintf(`INSERT INTO outbox (kind, platform, payload, status, due_ms, created_ms)
			SELECT 'lead.announce', '', '', 'pending', g / 300, g / 300 FROM generate_series(1, %d) g`, n)}
	}
	return []string{fmt.Sprintf(`WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < %d)
			INSERT INTO outbox (kind, platform, payload, status, due_ms, created_ms)
			SELECT 'lead.announce', '', '', 'pending', n / 300, n / 300 FROM g`, n)}
}
