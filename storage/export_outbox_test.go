package storage

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// ExplainTakeOutbox returns the database's plans for the reads of
// TakeOutbox (the due chat messages for platforms at now) and of
// TakeWebhooks, batches of 20, made as take makes them (inIndexOrder), one
// line per plan step.
func (s *Store) ExplainTakeOutbox(ctx context.Context, now time.Time, platforms ...string) (chat, webhooks string, err error) {
	explain := func(scope func(*gorm.DB) *gorm.DB) (plan string, err error) {
		q := s.db.ToSQL(func(tx *gorm.DB) *gorm.DB {
			var ids []int64
			return dueOutbox(tx, now, 20, scope).Find(&ids)
		})
		err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			return inIndexOrder(tx, func() (err error) {
				plan, err = explainIn(tx, q)
				return err
			})
		})
		return plan, err
	}
	if chat, err = explain(chatFor(platforms)); err != nil {
		return "", "", err
	}
	webhooks, err = explain(webhookHeads)
	return chat, webhooks, err
}
