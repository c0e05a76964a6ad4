package storage

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/handoff/handoff"
	"gorm.io/gorm"
)

// maxPersonRounds bounds the rounds personLeads follows links in: a
// person has a few leads, each round finds the leads one link further.
const maxPersonRounds = 8

// ForgetCRMPerson erases, as ForgetLeadAs does (actor recorded as who
// asked, the SLA clock stopped under policy), every lead of the person
// whose record externalID the CRM source erased at their request, and returns how many it erased. The
// person's leads are the record's own; those of the records the CRM
// merged with it, either way (crm_versions.merged_lead_id: the lead that
// took the surviving record's id, and the closed leads of the records
// merged into it); and every lead with the email address of any of those
// that no live CRM record holds (crm_versions: one that came through the
// API or an import, or a HubSpot contact's that HubSpot deleted since,
// whatever its lead's stage: crm_versions.deleted_ms), followed until no lead is
// added. A lead with that address that a CRM knows as another live record
// (another HubSpot contact, a Salesforce lead, lost or not) is another
// person's, as a shared address such as info@ is, and stays. The leads are erased in one transaction: all of
// them, or none when one fails. It returns ENOTFOUND when there is none:
// an unknown record, or one whose leads were erased already.
func (s *Store) ForgetCRMPerson(ctx context.Context, source, externalID string, policy handoff.Policy, now time.Time, actor string) (int, error) {
	ids, err := personLeads(s.db.WithContext(ctx), source, externalID)
	if err != nil {
		return 0, fmt.Errorf("storage: find the leads of a %s record: %w", source, err)
	}
	n, err := s.forget(ctx, ids, policy, now, actor)
	if err != nil {
		return 0, fmt.Errorf("storage: forget the leads of a %s record: %w", source, err)
	}
	if n == 0 {
		return 0, notFound("no lead of that %s record", source)
	}
	return n, nil
}

// personLeads returns the ids of the leads not erased of the person the
// CRM source's record externalID is (see ForgetCRMPerson), in order.
func personLeads(db *gorm.DB, source, externalID string) ([]int64, error) {
	var next []int64
	if err := db.Model(&leadRow{}).Where("external_id = ? AND erased_ms IS NULL", externalID).Pluck("id", &next).Error; err != nil {
		return nil, err
	}
	var linked []int64
	if err := db.Model(&crmVersionRow{}).Where("source = ? AND external_id = ? AND merged_lead_id IS NOT NULL", source, externalID).
		Pluck("merged_lead_id", &linked).Error; err != nil {
		return nil, err
	}
	seen := map[int64]bool{}
	var out []int64
	next = append(next, linked...)
	for round := 0; round < maxPersonRounds; round++ {
		var added []int64
		for _, id := range next {
			if !seen[id] {
				seen[id] = true
				added = append(added, id)
			}
		}
		if len(added) == 0 {
			break
		}
		out = append(out, added...)
		var err error
		if next, err = linkedLeads(db, added); err != nil {
			return nil, err
		}
	}
	slices.Sort(out)
	return out, nil
}

// linkedLeads returns the ids of the leads not erased one link from the
// leads of ids: by a CRM's merge, either way, or by an email address
// (personByEmail).
func linkedLeads(db *gorm.DB, ids []int64) ([]int64, error) {
	var rows []leadRow
	if err := db.Select("id", "external_id", "email").Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, err
	}
	var externalIDs, emails []string
	for _, r := range rows {
		externalIDs = append(externalIDs, r.ExternalID)
		if r.Email != "" {
			emails = append(emails, r.Email)
		}
	}
	var out, more []int64
	// The leads that took the ids of the records these were merged into.
	if err := db.Model(&crmVersionRow{}).Where("external_id IN ? AND merged_lead_id IS NOT NULL", externalIDs).
		Pluck("merged_lead_id", &out).Error; err != nil {
		return nil, err
	}
	// The leads of the records merged into these.
	fresh := db.Session(&gorm.Session{NewDB: true})
	cond := fresh.Where("external_id IN (?)", fresh.Model(&crmVersionRow{}).Select("external_id").Where("merged_lead_id IN ?", ids))
	if len(emails) > 0 {
		cond = cond.Or(personByEmail(fresh, emails))
	}
	if err := db.Model(&leadRow{}).Where("erased_ms IS NULL").Where(cond).Pluck("id", &more).Error; err != nil {
		return nil, err
	}
	return append(out, more...), nil
}

// personByEmail is the condition on leads that finds, by one of emails,
// the leads of the person those addresses are theirs: every lead with one
// that no live CRM record holds (no crm_versions row of its external id,
// of any CRM, but one of a record deleted in its CRM, deleted_ms set,
// whatever its lead's stage: a deleted contact holds no address any
// more, handoff.CRMVersion.DeletedAt). A lead a live CRM record holds is the person's only
// when that record is theirs or merged with it, which the merge links
// find; by the address alone it is another contact's, another Salesforce
// lead's, another person (a shared address, info@ a company) and is not
// erased.
func personByEmail(fresh *gorm.DB, emails []string) *gorm.DB {
	liveRecord := fresh.Model(&crmVersionRow{}).Select("1").
		Where("crm_versions.external_id = leads.external_id AND crm_versions.deleted_ms IS NULL")
	return fresh.Where("email IN ?", emails).Where("NOT EXISTS (?)", liveRecord)
}
