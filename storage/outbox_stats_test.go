package storage_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// OutboxStats counts the pending and the dead messages exactly below its
// cap (5 here, 1,000 in the store), and from the cap up answers the cap,
// flagged (PendingCapped, DeadCapped: at least that many), however many
// there are beyond it; sent messages count as neither, and the oldest
// pending message is found whatever the cap, even when it is past the cap
// in the order the messages were queued.
func TestOutboxStatsCountUpToTheCap(t *testing.T) {
	const limit = 5
	storagetest.EachRaw(t, func(t *testing.T, s *storage.Store, raw *sql.DB) {
		ctx := context.Background()
		s.SetOutboxCountCap(limit)
		for _, c := range []struct{ pending, dead int }{
			{0, 0}, {1, 0}, {0, 1}, {4, 3}, {3, 4}, {5, 4}, {4, 5}, {6, 2}, {2, 6}, {40, 9}, {9, 40},
		} {
			if _, err := raw.Exec("DELETE FROM outbox"); err != nil {
				t.Fatal(err)
			}
			// Each status's messages queued one a second, the later
			// inserted the earlier queued, and three sent ones queued first.
			var rows []string
			for status, n := range map[string]int{storage.OutboxPending: c.pending, storage.OutboxDead: c.dead, storage.OutboxDone: 3} {
				for i := range n {
					queued := 100000 - int64(i)*1000
					if status == storage.OutboxDone {
						queued = 1000
					}
					rows = append(rows, fmt.Sprintf("('lead.announce', '', '', '%s', %d, %d)", status, queued, queued))
				}
			}
			if _, err := raw.Exec("INSERT INTO outbox (kind, platform, payload, status, due_ms, created_ms) VALUES " + strings.Join(rows, ", ")); err != nil {
				t.Fatal(err)
			}
			want := storage.OutboxStats{Pending: int64(min(c.pending, limit)), Dead: int64(min(c.dead, limit)),
				PendingCapped: c.pending >= limit, DeadCapped: c.dead >= limit}
			if c.pending > 0 {
				want.Oldest = time.UnixMilli(100000 - int64(c.pending-1)*1000).UTC()
			}
			got, err := s.OutboxStats(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if withoutOldest(got) != withoutOldest(want) || !got.Oldest.Equal(want.Oldest) {
				t.Errorf("%d pending, %d dead, cap %d: stats = %+v, want %+v", c.pending, c.dead, limit, got, want)
			}
		}
	})
}

// withoutOldest is st without its oldest pending message's time, for
// comparing that time with Equal.
func withoutOldest(st storage.OutboxStats) storage.OutboxStats {
	st.Oldest = time.Time{}
	return st
}
