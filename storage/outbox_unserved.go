package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/handoff/handoff"
)

// UnservedOutbox counts, by platform, the pending chat messages for a
// platform other than platforms that were due by dueBy and that no worker
// holds at now: with TakeOutbox given its platforms, no replica takes
// them until one has a client for theirs.
func (s *Store) UnservedOutbox(ctx context.Context, now, dueBy time.Time, platforms []string) (map[string]int64, error) {
	offset, err := s.leaseOffset(ctx)
	if err != nil {
		return nil, fmt.Errorf("storage: unserved outbox: %w", err)
	}
	var rows []struct {
		Platform string
		Messages int64
	}
	err = s.db.WithContext(ctx).Model(&outboxRow{}).Select("platform, COUNT(*) AS messages").
		Where("status = ? AND kind <> ? AND due_ms <= ? AND locked_until_ms <= ?", OutboxPending, handoff.OutboxWebhook, ms(dueBy), ms(now.Add(offset))).
		Where("platform NOT IN ?", append([]string{""}, platforms...)).
		Group("platform").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("storage: unserved outbox: %w", err)
	}
	out := make(map[string]int64, len(rows))
	for _, r := range rows {
		out[r.Platform] = r.Messages
	}
	return out, nil
}
