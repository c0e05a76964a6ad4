package storage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/handoff/handoff"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// crmVersionRow remembers the newest state of a record a CRM has sent (its
// last-modified time), so that a late or repeated message cannot overwrite
// a newer one.
type crmVersionRow struct {
	ID         int64  `gorm:"primaryKey"`
	Source     string `gorm:"size:40;not null;uniqueIndex:idx_crm_versions_record,priority:1"`
	ExternalID string `gorm:"size:500;not null;uniqueIndex:idx_crm_versions_record,priority:2"`
	VersionMs  int64  `gorm:"not null"`
	UpdatedMs  int64  `gorm:"not null"`
}

func (crmVersionRow) TableName() string { return "crm_versions" }

// SaveLeadVersion saves in as SaveLead does, but only when version (the
// record's last-modified time in the CRM named by source) is newer than the
// newest already saved from that CRM for the same external id. An older or
// equal version writes nothing and reports stale. The check and the save
// are one transaction, so concurrent deliveries cannot reorder them.
func (s *Store) SaveLeadVersion(ctx context.Context, in handoff.LeadInput, policy handoff.Policy, now time.Time, actor, source string, version time.Time) (res handoff.SaveResult, stale bool, err error) {
	errStale := errors.New("stale")
	err = s.tx(ctx, func(tx *gorm.DB) error {
		row := crmVersionRow{Source: source, ExternalID: in.ExternalID, VersionMs: -1 << 62, UpdatedMs: ms(now)}
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error; err != nil {
			return err
		}
		var cur crmVersionRow
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).
			Where("source = ? AND external_id = ?", source, in.ExternalID).Take(&cur).Error; err != nil {
			return err
		}
		if ms(version) <= cur.VersionMs {
			return errStale
		}
		results, errs, err := saveBatchInTx(tx, []saveItem{{in, policy, now, actor, s.hooks}})
		if err != nil {
			return err
		}
		if errs[0] != nil {
			return errs[0]
		}
		res = results[0]
		return tx.Model(&crmVersionRow{}).Where("id = ?", cur.ID).
			Updates(map[string]any{"version_ms": ms(version), "updated_ms": ms(now)}).Error
	})
	if errors.Is(err, errStale) {
		return handoff.SaveResult{}, true, nil
	}
	if err != nil {
		return handoff.SaveResult{}, false, fmt.Errorf("storage: save %s lead %q: %w", source, in.ExternalID, err)
	}
	s.queued(queuedBy(res))
	return res, false, nil
}
