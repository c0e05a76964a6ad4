package storage_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// NextOutboxDueFor (of a worker with a managers' channel on each of its
// platforms, which leaves nothing to another replica), NextWebhookDue,
// TakeWebhooks and OutboxStats, which read a bounded part of the outbox,
// answer as the reads of every pending
// message they replace did (the AsBefore exports), over random outboxes:
// chat messages for several platforms and webhook messages for several
// leads and endpoints, pending, done and dead, due at shared times,
// unleased, leased until before, at or past their due time, some
// requeued.
func TestOutboxReadsAnswerAsBefore(t *testing.T) {
	storagetest.EachRaw(t, func(t *testing.T, s *storage.Store, raw *sql.DB) {
		ctx := context.Background()
		rng := rand.New(rand.NewPCG(16, 5))
		base := t0.UnixMilli()
		for round := range 200 {
			if _, err := raw.Exec("DELETE FROM outbox"); err != nil {
				t.Fatal(err)
			}
			rows := randomOutbox(rng, base)
			if len(rows) > 0 {
				_, err := raw.Exec(`INSERT INTO outbox (kind, lead_id, platform, payload, status, due_ms, locked_until_ms, created_ms, requeued_ms)
					VALUES ` + strings.Join(rows, ", "))
				if err != nil {
					t.Fatal(err)
				}
			}
			outbox := fmt.Sprintf("round %d, outbox (kind, lead, platform, status, due, locked until, created, requeued, from %d):\n%s",
				round, base, strings.Join(rows, "\n"))
			for _, c := range []struct {
				webhooks  bool
				platforms []string
			}{{false, nil}, {false, []string{"slack"}}, {false, []string{"teams"}}, {false, []string{"slack", "teams"}}, {true, nil}} {
				want, wantOK, err := s.NextDueAsBefore(ctx, c.webhooks, c.platforms...)
				if err != nil {
					t.Fatal(err)
				}
				s.ManagersChannels("w", c.platforms...)
				got, ok, err := s.NextOutboxDueFor(ctx, "w", t0, c.platforms...)
				if c.webhooks {
					got, ok, err = s.NextWebhookDue(ctx)
				}
				if err != nil {
					t.Fatal(err)
				}
				if ok != wantOK || !got.Equal(want) {
					t.Fatalf("next due (webhooks %v, platforms %v) = %d, %v; the read of every pending message says %d, %v\n%s",
						c.webhooks, c.platforms, got.UnixMilli()-base, ok, want.UnixMilli()-base, wantOK, outbox)
				}
			}
			pending, oldest, err := s.OutboxStatsAsBefore(ctx)
			if err != nil {
				t.Fatal(err)
			}
			st, err := s.OutboxStats(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if st.Pending != pending || !st.Oldest.Equal(oldest) {
				t.Fatalf("stats = %d pending, oldest %v; before: %d, %v\n%s", st.Pending, st.Oldest, pending, oldest, outbox)
			}
			now := time.UnixMilli(base + int64(rng.IntN(14)-1)*1000)
			limit := []int{2, 100}[rng.IntN(2)]
			wantIDs, err := s.DueWebhooksAsBefore(ctx, now, limit)
			if err != nil {
				t.Fatal(err)
			}
			msgs, err := s.TakeWebhooks(ctx, now, limit, time.Minute, "hooks")
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, m := range msgs {
				ids = append(ids, m.ID)
			}
			if !slices.Equal(ids, wantIDs) {
				t.Fatalf("webhooks taken at %d, %d at most = %v; before: %v\n%s", now.UnixMilli()-base, limit, ids, wantIDs, outbox)
			}
		}
	})
}

// randomOutbox returns the values of up to 24 outbox rows, as randomised
// as TestOutboxReadsAnswerAsBefore says, times in ms around base.
func randomOutbox(rng *rand.Rand, base int64) []string {
	rows := make([]string, rng.IntN(25))
	for i := range rows {
		kind, platform := []string{"lead.announce", "lead.refresh"}[rng.IntN(2)], []string{"", "slack", "teams"}[rng.IntN(3)]
		if rng.IntN(3) == 0 {
			kind, platform = handoff.OutboxWebhook, []string{"crm", "audit"}[rng.IntN(2)]
		}
		status := []string{storage.OutboxPending, storage.OutboxPending, storage.OutboxPending, storage.OutboxDone, storage.OutboxDead}[rng.IntN(5)]
		due := base + int64(rng.IntN(12))*1000
		locked := int64(0)
		switch rng.IntN(5) {
		case 2:
			locked = due - int64(1+rng.IntN(3))*1000
		case 3:
			locked = due
		case 4:
			locked = due + int64(1+rng.IntN(20))*1000
		}
		created := base - int64(rng.IntN(60))*1000
		requeued := "NULL"
		if rng.IntN(4) == 0 {
			requeued = fmt.Sprint(created + int64(rng.IntN(120))*1000)
		}
		rows[i] = fmt.Sprintf("('%s', %d, '%s', '', '%s', %d, %d, %d, %s)", kind, 1+rng.IntN(4), platform, status, due, locked, created, requeued)
	}
	return rows
}

// At a backlog of 30,000 pending chat messages never analysed, as an
// import leaves it, NextOutboxDueFor, NextWebhookDue, TakeWebhooks and
// OutboxStats' oldest read a bounded part of the outbox, not every pending
// message: at 120,000 pending on PostgreSQL the next chat message's read
// of every one took 247.6 ms (BENCHMARKS.md, "The outbox draining a large
// backlog"). NextOutboxDueFor's is read as two Slack replicas read it:
// "with", which has a managers' channel, reads every chat message for
// Slack; "without", which said it has none while "with" serves Slack,
// leaves the managers' work, the escalations at the head of the backlog,
// to it (leaveManagers: a filter with an IN over outbox_servers), and its
// read keeps idx_outbox_status_due_id, with no sort, all the same. So do OutboxStats' counts of the pending and of 2,000 dead
// messages, up to a cap of 50 here (1,000 in the store): each reads at
// most the cap's entries (BENCHMARKS.md, "The outbox's counts bounded").
// On PostgreSQL each reads at most 100 rows of outbox (EXPLAIN ANALYZE;
// the entries of a bitmap index scan count as read), before and after the
// outbox is analysed; on SQLite, which says no such count, each plan reads
// the indexes that bound it, and each count stops its loop at its LIMIT.
func TestOutboxReadsReadABoundedPart(t *testing.T) {
	after := []string{
		// Five messages workers hold, leased past their due time, due first.
		"UPDATE outbox SET due_ms = -1, locked_until_ms = 100000, locked_by = 'w' WHERE id <= 5",
		// Webhook messages of three leads to two endpoints, due after the
		// chat ones, and some already sent.
		`INSERT INTO outbox (kind, lead_id, platform, payload, status, due_ms, created_ms) VALUES
			('webhook', 1, 'crm', '', 'done', 150, 150), ('webhook', 1, 'crm', '', 'pending', 200, 200),
			('webhook', 1, 'crm', '', 'pending', 200, 200), ('webhook', 1, 'audit', '', 'pending', 200, 200),
			('webhook', 2, 'crm', '', 'done', 150, 150), ('webhook', 2, 'crm', '', 'pending', 201, 201),
			('webhook', 2, 'audit', '', 'pending', 202, 202), ('webhook', 3, 'crm', '', 'pending', 203, 203),
			('webhook', 3, 'crm', '', 'pending', 204, 204), ('webhook', 3, 'crm', '', 'pending', 205, 205)`,
		// 2,000 messages given up, the last queued.
		"UPDATE outbox SET status = 'dead' WHERE id > 28000 AND id <= 30000",
		// Ten escalations due next, which "without" leaves to "with".
		"UPDATE outbox SET kind = 'sla.escalate' WHERE id > 5 AND id <= 15",
	}
	uses := map[string][]string{
		"next chat":     {`idx_outbox_status_due_id\b`},
		"next webhook":  {`idx_outbox_webhook_due\b`, `idx_outbox_webhook_queue\b`},
		"take webhooks": {`idx_outbox_webhook_due\b`, `idx_outbox_webhook_queue\b`},
		"oldest":        {`idx_outbox_pending_queued\b`},
		"pending count": {`idx_outbox_(pending_queued|status_due_id)\b`},
		"dead count":    {`idx_outbox_status_due_id\b`},
	}
	// On SQLite, the reads of a range of an index, not of all its pending
	// entries: NextOutboxDueFor's of those due before the first one no
	// lease holds past its due time.
	bounded := map[string]string{"next chat": `idx_outbox_status_due_id \(status=\? AND due_ms<\?\)`}
	whole := regexp.MustCompile(`(?i)TEMP B-TREE|Sort\b|(^|\s)SCAN (outbox|p)\b|Seq Scan on outbox`)
	storagetest.EachRaw(t, func(t *testing.T, s *storage.Store, raw *sql.DB) {
		ctx := context.Background()
		s.SetOutboxCountCap(50)
		for _, q := range slices.Concat(chatBacklog(s.Dialect(), 30000), after) {
			if _, err := raw.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
		now := time.UnixMilli(1000)
		workers := slackReplicas(t, s, now)
		for _, w := range workers {
			plans, err := s.ExplainOutboxReads(ctx, now, w, "slack")
			if err != nil {
				t.Fatal(err)
			}
			for name, plan := range plans {
				t.Logf("%s, %s:\n%s", w, name, plan)
				for _, index := range uses[name] {
					if !regexp.MustCompile(index).MatchString(plan) {
						t.Errorf("%s, %s: the plan does not read %s:\n%s", w, name, index, plan)
					}
				}
				if whole.MatchString(plan) {
					t.Errorf("%s, %s: the plan sorts or reads the whole outbox:\n%s", w, name, plan)
				}
				if b := bounded[name]; b != "" && s.Dialect() == storage.DialectSQLite && !regexp.MustCompile(b).MatchString(plan) {
					t.Errorf("%s, %s: the plan does not read a range of the index (%s):\n%s", w, name, b, plan)
				}
			}
			// The read that leaves the managers' work asks outbox_servers
			// who serves Slack with a managers' channel.
			if leaves := regexp.MustCompile(`outbox_servers\b`).MatchString(plans["next chat"]); leaves != (w == "without") {
				t.Errorf("%s, next chat: the plan reads outbox_servers %v, want %v:\n%s", w, leaves, w == "without", plans["next chat"])
			}
		}
		if s.Dialect() != storage.DialectPostgres {
			// A count's plan searches an index by status, the same with
			// or without a LIMIT; its program stops that loop at the
			// LIMIT's counter.
			for _, name := range []string{"pending count", "dead count"} {
				ops, err := s.SQLiteOutboxProgram(ctx, name)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Contains(ops, "DecrJumpZero") {
					t.Errorf("%s: the program has no LIMIT (DecrJumpZero) to stop its loop: %v", name, ops)
				}
			}
			return
		}
		// Unanalysed, as an import leaves it, and analysed, as autovacuum
		// leaves it later: PostgreSQL, knowing the outbox's size but not
		// the head's due time, read the next chat message's range by
		// reading the whole table.
		for _, analyse := range []string{"", "ANALYZE outbox"} {
			if analyse != "" {
				if _, err := raw.Exec(analyse); err != nil {
					t.Fatal(err)
				}
			}
			for _, w := range workers {
				read, err := s.PGOutboxRowsRead(ctx, now, w, "slack")
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("rows of outbox read (%s, %q): %v", w, analyse, read)
				for name, n := range read {
					if n > 100 {
						t.Errorf("%s, %q: %s read %d rows of the outbox, want at most 100", w, analyse, name, n)
					}
				}
				if len(read) != len(uses) {
					t.Errorf("rows read by %d reads, want %d: %v", len(read), len(uses), read)
				}
			}
		}
	})
}
