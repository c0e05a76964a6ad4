package storage_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// BenchmarkOutboxReads measures, at a backlog of 120,000 pending chat
// messages never analysed (chatBacklog, as an import leaves them: 300 due
// at each time; the first 20 leased, as a batch in flight) and 200 pending
// webhook messages of 100 leads to two endpoints, each of the outbox's
// reads that read a bounded part of it ("after") against the read of
// every pending message it replaced ("before", the AsBefore exports):
// NextOutboxDueFor's of a Slack replica, NextWebhookDue's, TakeWebhooks' (a batch of
// 20, not leased) and OutboxStats' (its count and oldest, and each alone
// after).
//
//	go test ./storage -run '^$' -bench OutboxReads -benchtime 20x
func BenchmarkOutboxReads(b *testing.B) {
	webhooks := map[string]string{
		storage.DialectSQLite: `WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 200)
			INSERT INTO outbox (kind, lead_id, platform, payload, status, due_ms, created_ms)
			SELECT 'webhook', n % 100, CASE WHEN n % 3 = 0 THEN 'audit' ELSE 'crm' END, '', 'pending', 1000 + n * 2, 1000 + n * 2 FROM g`,
		storage.DialectPostgres: `INSERT INTO outbox (kind, lead_id, platform, payload, status, due_ms, created_ms)
			SELECT 'webhook', g % 100, CASE WHEN g % 3 = 0 THEN 'audit' ELSE 'crm' END, '', 'pending', 1000 + g * 2, 1000 + g * 2
			FROM generate_series(1, 200) g`,
	}
	leased := "UPDATE outbox SET locked_until_ms = 100000, locked_by = 'w' WHERE id <= 20"
	// Before, the outbox had none of the indexes this change adds.
	unindexed := []string{"DROP INDEX idx_outbox_pending_queued", "DROP INDEX idx_outbox_webhook_due", "DROP INDEX idx_outbox_webhook_queue"}
	type read struct {
		name string
		read func(s *storage.Store) error
	}
	ctx := context.Background()
	now := time.UnixMilli(5000)
	reads := map[string][]read{
		"before": {
			{"next", func(s *storage.Store) error { _, _, err := s.NextDueAsBefore(ctx, false, "slack"); return err }},
			{"next-webhook", func(s *storage.Store) error { _, _, err := s.NextDueAsBefore(ctx, true); return err }},
			{"take-webhooks", func(s *storage.Store) error { _, err := s.DueWebhooksAsBefore(ctx, now, 20); return err }},
			{"stats", func(s *storage.Store) error { _, _, err := s.OutboxStatsAsBefore(ctx); return err }},
		},
		"after": {
			{"next", func(s *storage.Store) error { _, _, err := s.NextOutboxDueFor(ctx, "w", now, "slack"); return err }},
			{"next-webhook", func(s *storage.Store) error { _, _, err := s.NextWebhookDue(ctx); return err }},
			{"take-webhooks", func(s *storage.Store) error { _, err := s.DueWebhooks(ctx, now, 20); return err }},
			{"stats", func(s *storage.Store) error { _, err := s.OutboxStats(ctx); return err }},
			{"stats-count", func(s *storage.Store) error { _, err := s.PendingCount(ctx); return err }},
			{"stats-oldest", func(s *storage.Store) error { _, err := s.OldestPending(ctx); return err }},
		},
	}
	for _, d := range storagetest.Dialects {
		for _, code := range []string{"before", "after"} {
			b.Run(d+"/"+code, func(b *testing.B) {
				s, raw := storagetest.OpenRaw(b, d)
				setup := slices.Concat(chatBacklog(d, 120000), []string{webhooks[d], leased})
				if code == "before" {
					setup = append(setup, unindexed...)
				}
				for _, q := range setup {
					if _, err := raw.Exec(q); err != nil {
						b.Fatal(err)
					}
				}
				for _, r := range reads[code] {
					b.Run(r.name, func(b *testing.B) {
						for b.Loop() {
							if err := r.read(s); err != nil {
								b.Fatal(err)
							}
						}
					})
				}
			})
		}
	}
}
