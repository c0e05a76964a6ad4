package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// BenchmarkPlannerSettings measures, on PostgreSQL, the outbox's reads
// whose planner settings outbox_planner.go sets, at 30,000 pending chat
// messages never analysed (chatBacklog): OutboxStats, NextOutboxDueFor
// of a Slack replica, and TakeOutbox's lease of 20 for no time (the same 20, due again
// at once, each time), read and lease in one transaction.
//
//	go test ./storage -run '^$' -bench PlannerSettings -benchtime 2000x
func BenchmarkPlannerSettings(b *testing.B) {
	s, raw := storagetest.OpenRaw(b, storage.DialectPostgres)
	for _, q := range chatBacklog(storage.DialectPostgres, 30000) {
		if _, err := raw.Exec(q); err != nil {
			b.Fatal(err)
		}
	}
	ctx := context.Background()
	now := time.UnixMilli(1000)
	for _, r := range []struct {
		name string
		read func() error
	}{
		{"stats", func() error { _, err := s.OutboxStats(ctx); return err }},
		{"next", func() error { _, _, err := s.NextOutboxDueFor(ctx, "w", now, "slack"); return err }},
		{"take", func() error { _, err := s.TakeOutbox(ctx, now, 20, 0, "w"); return err }},
	} {
		b.Run(r.name, func(b *testing.B) {
			for b.Loop() {
				if err := r.read(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
