package storage

import (
	"fmt"
	"time"

	"github.com/handoff/handoff"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// erasedOffersMigration names migrateErasedOffers in data_migrations.
const erasedOffersMigration = "erased-sqls-end-routing"

// erasedSQLsRouted is the condition on leads of the unclaimed SQLs whose
// personal data was erased and whose routing did not end as erased: by
// an earlier version, whose erasure left a pending, waiting or running
// offer (in the route index, its rep charged) or an open one, or by one
// that ended it as claimed. Arguments: stage, the erased offer state, the
// last id read.
const erasedSQLsRouted = "erased_ms IS NOT NULL AND stage = ? AND offer_state <> '' AND offer_state <> ? AND id > ?"

// erasedOffersBatch is how many leads migrateErasedOffers reads and
// writes at a time.
const erasedOffersBatch = 500

// migrateErasedOffers ends, once (data_migrations), the routing of the
// SQLs of erasedSQLsRouted as their erasure does now
// (endOfferOnErasure): the offer ends as erased (handoff.OfferErased)
// and leaves the route index, a running offer's credits are refunded
// (saveCredits) and the lead gets the erasure's update of every message
// that showed it (OutboxEraseLead), for its offered rep's direct message
// may have been posted after the erasure, with Accept. Nothing else of
// the lead changes, no event is written (the routing rollup counts no
// claim or accept), and a lead that does not decode is left as it is, as
// the erasure leaves its offer. Migrate calls it inside its transaction
// and it returns how many messages it queued; the leads are read and
// locked in batches in id order, as an erasure locks them, and the refunds
// and messages are stamped with the database's clock (Store.Clock's
// reference). Running it again changes nothing.
func migrateErasedOffers(tx *gorm.DB) (int, error) {
	queued := 0
	err := migrateOnce(tx, erasedOffersMigration, "offers of erased SQLs", func() error {
		var nowMs int64
		if err := tx.Raw(dbNowMs[tx.Dialector.Name()]).Row().Scan(&nowMs); err != nil {
			return fmt.Errorf("read the database's clock: %w", err)
		}
		n, err := endErasedOffers(tx, fromMs(nowMs))
		queued = n
		return err
	})
	return queued, err
}

// endErasedOffers is migrateErasedOffers' change, at now.
func endErasedOffers(tx *gorm.DB, now time.Time) (int, error) {
	queued := 0
	for last := int64(0); ; {
		var rows []leadRow
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where(erasedSQLsRouted, handoff.StageSQL, handoff.OfferErased, last).
			Order("id").Limit(erasedOffersBatch).Find(&rows).Error; err != nil {
			return queued, err
		}
		if len(rows) == 0 {
			return queued, nil
		}
		var (
			refunds map[string]int64
			erase   []handoff.OutboxMessage
			// The batch's leads and the offer columns they get, the same
			// for every one (endOfferOnErasure): one UPDATE a batch.
			ended []int64
			cols  map[string]any
		)
		for _, r := range rows {
			last = r.ID
			l, err := r.toLead()
			if err != nil {
				continue
			}
			offered := l.Offer.Offered()
			offer, refund := endOfferOnErasure(l)
			ended, cols = append(ended, r.ID), offer
			refunds = sumCredits(refunds, refund)
			if offered {
				erase = append(erase, handoff.OutboxMessage{Kind: handoff.OutboxEraseLead, LeadID: r.ID})
			}
		}
		if len(ended) > 0 {
			if err := tx.Model(&leadRow{}).Where("id IN ?", ended).Updates(cols).Error; err != nil {
				return queued, err
			}
		}
		if err := saveCredits(tx, refunds, now); err != nil {
			return queued, err
		}
		if err := insertOutbox(tx, now, erase...); err != nil {
			return queued, err
		}
		queued += len(erase)
	}
}
