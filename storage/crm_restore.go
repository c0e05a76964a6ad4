package storage

import (
	"github.com/handoff/handoff"
	"gorm.io/gorm"
)

// restoredInput returns in, a CRM's restore of its deleted record
// (handoff.HubSpotRestore: no stage), with the stage the record's lead
// returns to, read from the lead's history (handoff.StageBeforeDeletion);
// in as it is when no lead has the id, or the lead stays as it is. It
// locks the lead, after the crm_versions row, as every versioned save
// does.
func restoredInput(tx *gorm.DB, in handoff.LeadInput) (handoff.LeadInput, error) {
	rows, err := selectLeadRows(tx, []string{in.ExternalID}, true)
	if err != nil || len(rows) == 0 || rows[0].ErasedMs != nil {
		return in, err
	}
	lead, err := rows[0].toLead()
	if err != nil {
		return in, err
	}
	history, err := historyInTx(tx, lead.ID)
	if err != nil {
		return in, err
	}
	if st, reason, ok := handoff.StageBeforeDeletion(lead, history); ok {
		in.Stage, in.Reason = st, reason
	}
	return in, nil
}
