package storage

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/handoff/handoff"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// secretRow is a named secret the database keeps for itself. The only one
// is the erase key: a random key, made at the first erasure, with which
// an erased lead's external id (and a CRM record's id in crm_versions) is
// kept as a keyed hash. The hash lets Handoff recognise the id when it is
// asked for again (GET shows the erased view, a CRM's re-sent old record
// stays stale) without storing the id itself.
type secretRow struct {
	Name  string `gorm:"primaryKey;size:40"`
	Value string `gorm:"size:200;not null"`
}

func (secretRow) TableName() string { return "secrets" }

const eraseKeyName = "erase"

// eraseKey returns the database's erase key; with create, it makes one
// when there is none yet. Without create and without a key it returns nil
// (nothing was ever erased).
func eraseKey(tx *gorm.DB, create bool) ([]byte, error) {
	if create {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return nil, fmt.Errorf("erase key: %w", err)
		}
		row := secretRow{Name: eraseKeyName, Value: hex.EncodeToString(b)}
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error; err != nil {
			return nil, fmt.Errorf("erase key: %w", err)
		}
	}
	var row secretRow
	err := tx.Where("name = ?", eraseKeyName).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("erase key: %w", err)
	}
	key, err := hex.DecodeString(row.Value)
	if err != nil {
		return nil, fmt.Errorf("erase key: %w", err)
	}
	return key, nil
}

// erasedHash is the keyed hash an erased id is kept as: "erased-" and 32
// hex digits of HMAC-SHA256 over kind and id.
func erasedHash(key []byte, kind, id string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(kind + "\x00" + id))
	return "erased-" + hex.EncodeToString(m.Sum(nil))[:32]
}

// erasedKeyWhere finds a lead by its erased key. idx_leads_erased_key_set
// holds only the erased leads (see sparseIndexes); an equality with a bound
// value does not tell the databases the key is not empty, so it says so.
const erasedKeyWhere = "erased_key = ? AND erased_key <> ''"

// ErasedLeadByExternalID returns the erased lead that had externalID (its
// anonymous view: stage history, no personal data), the latest when the
// id was erased more than once, or ENOTFOUND.
func (s *Store) ErasedLeadByExternalID(ctx context.Context, externalID string) (*handoff.Lead, error) {
	key, err := eraseKey(s.db.WithContext(ctx), false)
	if err != nil {
		return nil, fmt.Errorf("storage: erased lead: %w", err)
	}
	if key == nil {
		return nil, handoff.Errorf(handoff.ENOTFOUND, "lead %q not found", externalID)
	}
	var row leadRow
	err = s.db.WithContext(ctx).Where(erasedKeyWhere, erasedHash(key, "lead", externalID)).Order("id DESC").Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, handoff.Errorf(handoff.ENOTFOUND, "lead %q not found", externalID)
	}
	if err != nil {
		return nil, fmt.Errorf("storage: erased lead: %w", err)
	}
	return row.toLead()
}

// crmVersionsOfRecord finds the crm_versions rows of a record of any CRM
// by its id, through idx_crm_versions_record_v2 (its first column).
const crmVersionsOfRecord = "external_id = ?"

// crmVersionsMergedInto finds the crm_versions rows of the records merged
// into a lead's (linkMerged), through idx_crm_versions_merged_set.
const crmVersionsMergedInto = "merged_lead_id = ?"

// eraseCRMVersions keeps the CRM versions of an erased lead's record (its
// externalID), and of the records its CRM merged into it (those linked to
// leadID), under the keyed hash of each id, so a CRM that re-sends a
// record as it was (a retry, a replay) is still refused as stale, while
// the id itself is gone. A newer version of the record is a new lead (see
// SaveLeadVersion). The digests of its states, hashes of the person's
// data, are dropped: an equal time is then a repeat.
func eraseCRMVersions(tx *gorm.DB, key []byte, leadID int64, externalID string) error {
	var rows, merged []crmVersionRow
	if err := tx.Where(crmVersionsOfRecord, externalID).Find(&rows).Error; err != nil {
		return err
	}
	if err := tx.Where(crmVersionsMergedInto, leadID).Where("external_id <> ?", externalID).Find(&merged).Error; err != nil {
		return err
	}
	for _, r := range append(rows, merged...) {
		hashed := erasedHash(key, "crm:"+r.Source, r.ExternalID)
		var old crmVersionRow
		err := tx.Where("source = ? AND external_id = ?", r.Source, hashed).Take(&old).Error
		switch {
		case err == nil:
			if old.VersionMs > r.VersionMs {
				r.VersionMs = old.VersionMs
			}
			if err := tx.Delete(&crmVersionRow{}, old.ID).Error; err != nil {
				return err
			}
		case !errors.Is(err, gorm.ErrRecordNotFound):
			return err
		}
		if err := tx.Model(&crmVersionRow{}).Where("id = ?", r.ID).
			Updates(map[string]any{"external_id": hashed, "version_ms": r.VersionMs, "digests": "", "merged_lead_id": nil}).Error; err != nil {
			return err
		}
	}
	return nil
}

// ErasedExternalIDs returns those of ids that an erased lead had and no
// lead has now (a lead made again since, by a CRM's newer version or the
// API, takes its id back). An import refuses them (csvimport), so that a
// file of old records never brings an erased person back; the ids are
// compared as the erased view is found, by their keyed hash.
func (s *Store) ErasedExternalIDs(ctx context.Context, ids []string) (map[string]bool, error) {
	db := s.db.WithContext(ctx)
	key, err := eraseKey(db, false)
	if err != nil || key == nil || len(ids) == 0 {
		return nil, wrapErasedIDs(err)
	}
	idOf := make(map[string]string, len(ids))
	hashes := make([]string, 0, len(ids))
	for _, id := range ids {
		h := erasedHash(key, "lead", id)
		if _, dup := idOf[h]; !dup {
			idOf[h] = id
			hashes = append(hashes, h)
		}
	}
	var keys []string
	if err := db.Model(&leadRow{}).Where("erased_key IN ? AND erased_key <> ''", hashes).Distinct().Pluck("erased_key", &keys).Error; err != nil {
		return nil, wrapErasedIDs(err)
	}
	if len(keys) == 0 {
		return nil, nil
	}
	erased := make(map[string]bool, len(keys))
	named := make([]string, 0, len(keys))
	for _, k := range keys {
		erased[idOf[k]] = true
		named = append(named, idOf[k])
	}
	var live []string
	if err := db.Model(&leadRow{}).Where("external_id IN ?", named).Pluck("external_id", &live).Error; err != nil {
		return nil, wrapErasedIDs(err)
	}
	for _, id := range live {
		delete(erased, id)
	}
	return erased, nil
}

// wrapErasedIDs is ErasedExternalIDs' error, nil for none.
func wrapErasedIDs(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("storage: erased external ids: %w", err)
}
