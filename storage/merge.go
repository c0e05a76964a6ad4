package storage

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/handoff/handoff"
	"gorm.io/gorm"
)

// mergedVersionMs is the version a record merged away in its CRM is kept
// at in crm_versions: later than any state, so that every later delivery
// of it (a retry or a late delivery from before the merge) is stale and
// cannot bring its lead, or a new one, back.
const mergedVersionMs = int64(1) << 62

// foldMerged folds, in tx, the leads of the records the CRM source merged
// into the record survivor (merged) into one lead under survivor's id, at
// now, before the survivor's state is saved: of two leads the one
// handoff.MergeKeeper keeps takes survivor's id, and the other is closed
// (Lead.MergeInto, its card updated) under the merged record's id; a
// merged record whose survivor has no lead yet gives its lead survivor's
// id, so the survivor's delivery updates that lead rather than announce a
// second one. Each merged record's crm_versions row is locked first, as
// SaveLeadVersion locks the survivor's, and kept at mergedVersionMs; the
// leads are locked in the order of their ids. A merged record without a
// lead (or whose lead was folded already) changes nothing, so a delivery
// of the same merge again writes nothing. It returns the outbox messages
// queued.
func (s *Store) foldMerged(tx *gorm.DB, source, survivor string, merged []string, policy handoff.Policy, now time.Time, actor string) (queued int, err error) {
	merged = slices.Clone(merged)
	slices.Sort(merged)
	merged = slices.Compact(merged)
	for _, id := range merged {
		if id == survivor {
			continue
		}
		cur, err := lockCRMVersion(tx, source, id, now)
		if err != nil {
			return queued, err
		}
		if cur.VersionMs < mergedVersionMs {
			if err := tx.Model(&crmVersionRow{}).Where("id = ?", cur.ID).
				Updates(map[string]any{"version_ms": mergedVersionMs, "digests": "", "updated_ms": ms(now)}).Error; err != nil {
				return queued, err
			}
		}
	}
	for _, id := range merged {
		if id == survivor {
			continue
		}
		n, err := s.foldOne(tx, survivor, id, policy, now, actor)
		if err != nil {
			return queued, err
		}
		queued += n
	}
	return queued, nil
}

// foldOne folds the lead of the merged record id, if any, into survivor's.
func (s *Store) foldOne(tx *gorm.DB, survivor, id string, policy handoff.Policy, now time.Time, actor string) (int, error) {
	ids, err := leadIDsByExternalID(tx, survivor, id)
	if err != nil || ids[1] == 0 {
		return 0, err
	}
	locked := map[int64]*handoff.Lead{}
	rows := map[int64]leadRow{}
	order := []int64{ids[0], ids[1]}
	slices.Sort(order)
	for _, lid := range order {
		if lid == 0 {
			continue
		}
		row, l, err := lockLead(tx, lid)
		if err != nil {
			return 0, err
		}
		locked[lid], rows[lid] = l, row
	}
	gone := locked[ids[1]]
	if ids[0] == 0 {
		// The survivor has no lead: the merged record's lead is the
		// person's, now under the survivor's id.
		gone.ExternalID = survivor
		_, err := s.writeLeadChange(tx, rows[gone.ID], gone, handoff.LeadChange{}, now)
		return 0, err
	}
	if gone.MergedAway() {
		return 0, nil
	}
	keep, dup := handoff.MergeKeeper(locked[ids[0]], gone)
	if keep == gone {
		// The merged record's lead is kept: it takes the survivor's id,
		// and the survivor's lead, closed, the merged record's.
		if err := tx.Model(&leadRow{}).Where("id = ?", dup.ID).
			Update("external_id", handoff.ErasedIDPrefix+"merging-"+strconv.FormatInt(dup.ID, 10)).Error; err != nil {
			return 0, err
		}
		keep.ExternalID, dup.ExternalID = survivor, id
		if _, err := s.writeLeadChange(tx, rows[keep.ID], keep, handoff.LeadChange{}, now); err != nil {
			return 0, err
		}
	}
	change := dup.MergeInto(now, actor, policy)
	if keep != gone && len(change.Events) == 0 {
		return 0, nil // a won or lost lead stays as it is
	}
	_, err = s.writeLeadChange(tx, rows[dup.ID], dup, change, now)
	return len(change.Outbox), err
}

// leadIDsByExternalID returns the ids of the leads of the external ids a
// and b, 0 for one without a lead.
func leadIDsByExternalID(tx *gorm.DB, a, b string) ([2]int64, error) {
	var out [2]int64
	for i, id := range []string{a, b} {
		var found []int64
		if err := tx.Model(&leadRow{}).Where("external_id = ?", id).Limit(1).Pluck("id", &found).Error; err != nil {
			return out, err
		}
		if len(found) > 0 {
			out[i] = found[0]
		}
	}
	return out, nil
}

// FoldMerged folds, on its own, the leads of the records the CRM source
// merged into the record survivor (foldMerged), at now, for a merge notice
// that carries no state of the survivor (HubSpot's contact.merge event):
// it makes no lead, and a merge whose records have no lead changes
// nothing. The survivor's crm_versions row is locked first, as
// SaveLeadVersion locks it.
func (s *Store) FoldMerged(ctx context.Context, source, survivor string, merged []string, policy handoff.Policy, now time.Time, actor string) error {
	queued := 0
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if _, err := lockCRMVersion(tx, source, survivor, now); err != nil {
			return err
		}
		n, err := s.foldMerged(tx, source, survivor, merged, policy, now, actor)
		queued = n
		if err != nil {
			return err
		}
		ids, err := leadIDsByExternalID(tx, survivor, survivor)
		if err != nil {
			return err
		}
		return linkMerged(tx, source, survivor, merged, ids[0])
	})
	if err != nil {
		return fmt.Errorf("storage: fold merged %s records: %w", source, err)
	}
	s.queued(queued)
	return nil
}

// linkMerged records leadID, the lead that holds the record survivor's id
// after a merge (none when 0), on the crm_versions rows of the records the
// CRM source merged into survivor (locked by foldMerged), so that the
// lead's erasure hashes their ids as it does survivor's: they are the
// same person's (eraseCRMVersions).
func linkMerged(tx *gorm.DB, source, survivor string, merged []string, leadID int64) error {
	merged = slices.DeleteFunc(slices.Clone(merged), func(id string) bool { return id == survivor })
	if leadID == 0 || len(merged) == 0 {
		return nil
	}
	return tx.Model(&crmVersionRow{}).Where("source = ? AND external_id IN ?", source, merged).Update("merged_lead_id", leadID).Error
}
