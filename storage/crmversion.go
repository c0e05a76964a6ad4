package storage

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/handoff/handoff"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// crmVersionRow remembers the newest state of a record a CRM has sent (its
// last-modified time, and the digests of the states saved at that time),
// so that a late or repeated message cannot overwrite a newer one. Its main index, unique, leads with external_id: an erasure
// finds a lead's rows by external_id alone (eraseCRMVersions,
// lockCRMVersionsToForget), and the saves by both columns; a sparse one
// finds the records merged into a lead's (MergedLeadID).
type crmVersionRow struct {
	ID         int64  `gorm:"primaryKey"`
	Source     string `gorm:"size:40;not null;uniqueIndex:idx_crm_versions_record_v2,priority:2"`
	ExternalID string `gorm:"size:500;not null;uniqueIndex:idx_crm_versions_record_v2,priority:1"`
	VersionMs  int64  `gorm:"not null"`
	// Digests are the handoff.CRMVersion digests of the states saved at
	// VersionMs, space-separated, oldest first, at most maxCRMDigests.
	Digests   string `gorm:"size:400;not null;default:''"`
	UpdatedMs int64  `gorm:"not null"`
	// MergedLeadID is, for a record the CRM merged into another, the lead
	// that holds the surviving record's id (linkMerged): the person's,
	// whose erasure hashes this record's id too (eraseCRMVersions).
	MergedLeadID *int64
	// DeletedMs is when the CRM deleted the record (HubSpot's
	// contact.deletion), while that deletion is its newest state saved
	// (handoff.CRMVersion.DeletedAt): a newer state clears it. A record
	// deleted holds no email address (personByEmail). Migrate fills it in
	// for the deletions saved before it was kept (migrateDeletedRecords).
	DeletedMs *int64
}

// maxCRMDigests bounds the states of one record kept for one
// last-modified time: more changes than that within a second are rare,
// and the oldest is dropped first.
const maxCRMDigests = 16

func (crmVersionRow) TableName() string { return "crm_versions" }

// crmVersionIndexes drops the index of earlier versions, on (source,
// external_id), which no read by external_id alone can use; Migrate runs
// it after AutoMigrate has made idx_crm_versions_record_v2, so the records
// stay unique throughout.
var crmVersionIndexes = []string{
	"DROP INDEX IF EXISTS idx_crm_versions_record",
	"CREATE INDEX IF NOT EXISTS idx_crm_versions_merged_set ON crm_versions (merged_lead_id) WHERE merged_lead_id IS NOT NULL",
}

// SaveLeadVersion saves in as SaveLead does, but only when version (the
// record's state in the CRM named by source) is newer than the newest
// already saved from that CRM for the same external id: a later
// last-modified time, or an equal one with a digest not saved at that
// time (a second change within the same second). An older version, or an
// equal one already saved (a repeat), writes nothing and reports stale.
// Of two unseen states of one second the one that arrives last is kept:
// nothing orders them. The check and the save
// are one transaction, so concurrent deliveries cannot reorder them; one
// that finds the record's new lead inserted meanwhile by another save
// (errRaced) is run again and updates that lead. The leads of the
// records in.Merged names, merged into this one in the CRM, are folded
// into its lead first, in the same transaction (foldMerged).
//
// A stale input with EarlierImplied set still dates earlier, in the same
// transaction, the marketing stages its lead reached only by implication
// (dateImpliedEarlier); then res holds the lead, Changed and no events,
// and stale is true: none of its fields or stages is saved.
func (s *Store) SaveLeadVersion(ctx context.Context, in handoff.LeadInput, policy handoff.Policy, now time.Time, actor, source string, version handoff.CRMVersion) (res handoff.SaveResult, stale bool, err error) {
	return s.saveLeadVersion(ctx, in, policy, now, actor, source, version, false)
}

// RestoreLeadVersion saves a CRM's restore of its deleted record (HubSpot's
// contact.restore, handoff.HubSpotRestore) as SaveLeadVersion saves a
// state: only when version is newer than the newest saved, which it
// replaces, so the record is live again (crm_versions.deleted_ms cleared:
// it holds its email address again). In the same transaction, a lead the
// deletion closed lost returns to the stage it had before it, read from
// its history (handoff.StageBeforeDeletion), as a stage change of in
// would move it; any other lead stays as it is (res.Changed false). An
// older restore than the deletion saved, or one repeated, writes nothing
// and reports stale; a restore that arrives before its deletion is saved
// as the newer state, so that the deletion, arriving late, is stale.
// ENOTFOUND, and nothing written, when no lead has the record's id.
func (s *Store) RestoreLeadVersion(ctx context.Context, in handoff.LeadInput, policy handoff.Policy, now time.Time, actor, source string, version handoff.CRMVersion) (res handoff.SaveResult, stale bool, err error) {
	return s.saveLeadVersion(ctx, in, policy, now, actor, source, version, true)
}

// saveLeadVersion is SaveLeadVersion, and RestoreLeadVersion with restore
// set.
func (s *Store) saveLeadVersion(ctx context.Context, in handoff.LeadInput, policy handoff.Policy, now time.Time, actor, source string, version handoff.CRMVersion, restore bool) (res handoff.SaveResult, stale bool, err error) {
	errStale := errors.New("stale")
	folded := 0
	var earlier *handoff.Lead
	err = againIfRaced(func() error {
		folded = 0
		return s.tx(ctx, func(tx *gorm.DB) error {
			earlier = nil // a group commit may run this again
			cur, err := lockCRMVersion(tx, source, in.ExternalID, now)
			if err != nil {
				return err
			}
			if !cur.older(version) {
				if in.EarlierImplied {
					if earlier, err = dateImpliedEarlier(tx, in, now); err != nil || earlier != nil {
						return err
					}
				}
				return errStale
			}
			if stale, err := staleAfterErasure(tx, source, in.ExternalID, version.Modified); err != nil || stale {
				return cmp.Or(err, errStale)
			}
			if len(in.Merged) > 0 {
				if folded, err = s.foldMerged(tx, source, in.ExternalID, in.Merged, policy, now, actor); err != nil {
					return err
				}
			}
			save := in
			if restore {
				if save, err = restoredInput(tx, in); err != nil {
					return err
				}
			}
			results, errs, err := saveBatchInTx(tx, []saveItem{{in: save, policy: policy, now: now, actor: actor, hooks: s.hooks}})
			if err != nil {
				return err
			}
			if errs[0] != nil {
				return errs[0]
			}
			res = results[0]
			if res.Lead != nil {
				if err := linkMerged(tx, source, in.ExternalID, in.Merged, res.Lead.ID); err != nil {
					return err
				}
			}
			return saveCRMVersion(tx, cur, version, now)
		})
	})
	if errors.Is(err, errStale) {
		return handoff.SaveResult{}, true, nil
	}
	if err != nil {
		return handoff.SaveResult{}, false, fmt.Errorf("storage: save %s lead: %w", source, err)
	}
	if earlier != nil {
		return handoff.SaveResult{Lead: earlier, Changed: true}, true, nil
	}
	s.queued(queuedBy(res) + folded)
	return res, false, nil
}

// lockCRMVersion locks (FOR UPDATE) and returns the crm_versions row of
// the record, inserted first when there is none, before the lead is
// locked, as an erasure locks it (lockCRMVersionsToForget). An erasure
// of the lead that holds the row renames it (eraseCRMVersions), leaving
// nothing to lock once it commits: then the row is inserted again, and
// the version is checked against the erased record's (staleAfterErasure).
func lockCRMVersion(tx *gorm.DB, source, externalID string, now time.Time) (crmVersionRow, error) {
	for attempt := 1; ; attempt++ {
		row := crmVersionRow{Source: source, ExternalID: externalID, VersionMs: -1 << 62, UpdatedMs: ms(now)}
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error; err != nil {
			return crmVersionRow{}, err
		}
		var cur crmVersionRow
		err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).
			Where("source = ? AND external_id = ?", source, externalID).Take(&cur).Error
		if errors.Is(err, gorm.ErrRecordNotFound) && attempt < 3 {
			continue
		}
		return cur, err
	}
}

// older reports whether the state r keeps is older than version: an
// earlier time, or the same time without version's digest.
func (r crmVersionRow) older(version handoff.CRMVersion) bool {
	v := ms(version.Modified)
	if v != r.VersionMs {
		return v > r.VersionMs
	}
	return version.Digest != "" && !slices.Contains(strings.Fields(r.Digests), version.Digest)
}

// saveCRMVersion saves version, at now, in the crm_versions row cur: at
// cur's time, its digest beside the ones saved then; the record deleted
// when version is its deletion, and live otherwise.
func saveCRMVersion(tx *gorm.DB, cur crmVersionRow, version handoff.CRMVersion, now time.Time) error {
	var digests []string
	if ms(version.Modified) == cur.VersionMs {
		digests = strings.Fields(cur.Digests)
	}
	if version.Digest != "" {
		digests = append(digests, version.Digest)
	}
	digests = digests[max(0, len(digests)-maxCRMDigests):]
	var deleted any // NULL: the record live
	if at := version.DeletedAt(); at != nil {
		deleted = ms(*at)
	}
	return tx.Model(&crmVersionRow{}).Where("id = ?", cur.ID).
		Updates(map[string]any{"version_ms": ms(version.Modified), "digests": strings.Join(digests, " "), "updated_ms": ms(now), "deleted_ms": deleted}).Error
}

// staleAfterErasure reports whether version is not newer than the one the
// CRM had sent of an erased lead's record (kept under its keyed hash), so
// that a retried or replayed old delivery cannot bring an erased person
// back. A newer version is a change the CRM made after the erasure: it is
// saved as a new lead, and the hashed version is dropped (the record's id
// is stored plainly again with the new lead).
func staleAfterErasure(tx *gorm.DB, source, externalID string, version time.Time) (bool, error) {
	key, err := eraseKey(tx, false)
	if err != nil || key == nil {
		return false, err
	}
	var old crmVersionRow
	err = tx.Where("source = ? AND external_id = ?", source, erasedHash(key, "crm:"+source, externalID)).Take(&old).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if ms(version) <= old.VersionMs {
		return true, nil
	}
	return false, tx.Delete(&crmVersionRow{}, old.ID).Error
}
