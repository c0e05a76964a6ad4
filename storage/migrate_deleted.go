package storage

import (
	"strings"

	"github.com/handoff/handoff"
	"gorm.io/gorm"
)

// deletedRecordsMigration names migrateDeletedRecords in data_migrations.
const deletedRecordsMigration = "crm-versions-deleted"

// deletedByLead is the condition on crm_versions of the HubSpot contacts
// whose lead is lost as deleted in HubSpot, the rule that told a deleted
// contact before deleted_ms was kept. Arguments: source, stage, reason.
const deletedByLead = "source = ? AND deleted_ms IS NULL AND EXISTS (SELECT 1 FROM leads" +
	" WHERE leads.external_id = crm_versions.external_id AND leads.stage = ? AND leads.reason = ?)"

// migrateDeletedRecords records, once (data_migrations), the HubSpot
// contacts deleted before crm_versions kept deleted_ms: those whose lead
// is lost with handoff.HubSpotDeletedReason, which the earlier code held
// deleted (a contact restored since, whose lead stayed so, counts as
// deleted until its next delivery, as it did before), and those whose
// newest state saved is a contact.deletion, known by its digest
// (handoff.HubSpotDeletion at the row's time), whose won or lost lead the
// deletion left as it was. Each is deleted at the row's version_ms, its
// newest state's time. Migrate calls it inside its transaction, after
// AutoMigrate added the column; it runs once, so a row a newer delivery
// has made live since is never marked deleted again by its lead.
func migrateDeletedRecords(tx *gorm.DB) error {
	return migrateOnce(tx, deletedRecordsMigration, "deleted CRM records", func() error { return markDeletedRecords(tx) })
}

// markDeletedRecords is migrateDeletedRecords' change.
func markDeletedRecords(tx *gorm.DB) error {
	if err := tx.Model(&crmVersionRow{}).Where(deletedByLead, handoff.ActorHubSpot, handoff.StageLost, handoff.HubSpotDeletedReason).
		Update("deleted_ms", gorm.Expr("version_ms")).Error; err != nil {
		return err
	}
	for last := int64(0); ; {
		var rows []crmVersionRow
		if err := tx.Select("id", "external_id", "version_ms", "digests").
			Where("source = ? AND deleted_ms IS NULL AND digests <> '' AND id > ?", handoff.ActorHubSpot, last).
			Order("id").Limit(500).Find(&rows).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			break
		}
		var deleted []int64
		for _, r := range rows {
			last = r.ID
			if newestIsDeletion(r) {
				deleted = append(deleted, r.ID)
			}
		}
		if len(deleted) > 0 {
			if err := tx.Model(&crmVersionRow{}).Where("id IN ?", deleted).
				Update("deleted_ms", gorm.Expr("version_ms")).Error; err != nil {
				return err
			}
		}
	}
	return nil
}

// newestIsDeletion reports whether the newest state r keeps, the last of
// its digests, is HubSpot's deletion of the contact at r's time.
func newestIsDeletion(r crmVersionRow) bool {
	digests := strings.Fields(r.Digests)
	at := fromMs(r.VersionMs)
	return len(digests) > 0 && digests[len(digests)-1] == handoff.VersionOf(handoff.HubSpotDeletion(r.ExternalID, at), at).Digest
}
