package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/handoff/handoff"
	"gorm.io/gorm"
)

// UnservedOutbox counts, by platform, the pending chat messages for a
// platform other than platforms that were due by dueBy and that no worker
// holds at now: with TakeOutbox given its platforms, no replica takes
// them until one has a client for theirs.
func (s *Store) UnservedOutbox(ctx context.Context, now, dueBy time.Time, platforms []string) (map[string]int64, error) {
	var rows []struct {
		Platform string
		Messages int64
	}
	err := s.db.WithContext(ctx).Model(&outboxRow{}).Select("platform, COUNT(*) AS messages").
		Where("status = ? AND kind <> ? AND due_ms <= ? AND locked_until_ms <= ?", OutboxPending, handoff.OutboxWebhook, ms(dueBy), ms(now)).
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

// DropPendingOutbox deletes the pending chat messages for platform that no
// worker holds at now: what waits for a platform removed from the
// configuration for good, which no replica will take (UnservedOutbox). now
// is on the database's clock (Clock), as the replicas' leases are.
// Webhooks (whose platform names their endpoint) and messages for every
// platform are left alone. Unless a replica serves it at now, the
// platform no longer gets a part of the messages for every platform
// (OtherPlatforms). It returns how many it deleted, and how many it left
// because a worker held them.
func (s *Store) DropPendingOutbox(ctx context.Context, platform string, now time.Time) (dropped, held int64, err error) {
	if platform == "" {
		return 0, 0, handoff.Errorf(handoff.EINVALID, "storage: drop pending outbox: no platform named")
	}
	leaseNow := ms(now) // on the database's clock, as the leases are (Clock)
	err = s.tx(ctx, func(tx *gorm.DB) error {
		pending := func() *gorm.DB {
			return tx.Model(&outboxRow{}).Where("status = ? AND kind <> ? AND platform = ?", OutboxPending, handoff.OutboxWebhook, platform)
		}
		r := pending().Where("locked_until_ms <= ?", leaseNow).Delete(&outboxRow{})
		if r.Error != nil {
			return r.Error
		}
		dropped = r.RowsAffected
		if err := tx.Where("platform = ? AND until_ms <= ?", platform, leaseNow).Delete(&outboxServerRow{}).Error; err != nil {
			return err
		}
		return pending().Count(&held).Error
	})
	if err != nil {
		return 0, 0, fmt.Errorf("storage: drop pending outbox of %s: %w", platform, err)
	}
	return dropped, held, nil
}
