package storage

import (
	"fmt"
	"time"

	"github.com/handoff/handoff"
	"gorm.io/gorm"
)

// dateImpliedEarlier applies what an older state of a CRM record, in (one
// SaveLeadVersion found stale), says of the past of its lead: the
// marketing stages a newer state only implied are dated by the older
// state's time when it is earlier (handoff.EarlierImpliedDates). Nothing
// else of in is saved: its fields and stage are older than the lead's.
// The funnel's rollup moves with the events in tx, so each stage still
// counts once, in the period of its new date. It locks the lead (after
// the crm_versions row, as every versioned save does) and returns it,
// or nil when nothing moved (no such lead, no time, nothing implied).
func dateImpliedEarlier(tx *gorm.DB, in handoff.LeadInput, now time.Time) (*handoff.Lead, error) {
	if in.Stage == "" || in.ChangedAt == nil {
		return nil, nil
	}
	rows, err := selectLeadRows(tx, []string{in.ExternalID}, true)
	if err != nil || len(rows) == 0 || rows[0].ErasedMs != nil {
		return nil, err
	}
	row := rows[0]
	history, err := historyInTx(tx, row.ID)
	if err != nil {
		return nil, err
	}
	moves := handoff.EarlierImpliedDates(history, in.Stage, *in.ChangedAt, now)
	if len(moves) == 0 {
		return nil, nil
	}
	keys := rowKeys(row)
	change := leadRollup{id: row.ID, old: &keys, new: keys}
	for _, m := range moves {
		change.redated = append(change.redated, redatedEvent{stage: string(m.Stage), from: ms(m.From), to: ms(m.To)})
	}
	// The rollup reads the events as they are, before they move.
	if err := updateRollup(tx, []leadRollup{change}); err != nil {
		return nil, err
	}
	for _, m := range moves {
		if err := planEach(tx).Model(&eventRow{}).Where("id = ? AND lead_id = ?", m.EventID, row.ID).Update("at_ms", ms(m.To)).Error; err != nil {
			return nil, fmt.Errorf("date event %d earlier: %w", m.EventID, err)
		}
	}
	return row.toLead()
}

// historyInTx returns the events of lead id in tx, in the order they were
// recorded.
func historyInTx(tx *gorm.DB, id int64) ([]handoff.Event, error) {
	var rows []eventRow
	if err := planEach(tx).Where("lead_id = ?", id).Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("events of lead %d: %w", id, err)
	}
	history := make([]handoff.Event, len(rows))
	for i, r := range rows {
		e, err := r.toEvent()
		if err != nil {
			return nil, err
		}
		history[i] = e
	}
	return history, nil
}
