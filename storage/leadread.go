package storage

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/handoff/handoff"
	"gorm.io/gorm"
)

// Reading leads and their events, and converting between the rows and the
// domain's values.

// LeadByExternalID returns the lead with that external id, or ENOTFOUND.
func (s *Store) LeadByExternalID(ctx context.Context, externalID string) (*handoff.Lead, error) {
	return s.findLead(ctx, "external_id", externalID)
}

// Lead returns the lead with that id, or ENOTFOUND.
func (s *Store) Lead(ctx context.Context, id int64) (*handoff.Lead, error) {
	return s.findLead(ctx, "id", id)
}

func (s *Store) findLead(ctx context.Context, col string, arg any) (*handoff.Lead, error) {
	row, err := s.findLeadRow(ctx, col, arg)
	if err != nil {
		return nil, err
	}
	return row.toLead()
}

// findLeadRow reads the row of the lead whose column col is arg, through
// hand-written SQL (a click reads its lead twice: GORM's reflection cost
// more than the read), or returns ENOTFOUND.
func (s *Store) findLeadRow(ctx context.Context, col string, arg any) (leadRow, error) {
	return findLeadRowIn(s.db.WithContext(ctx), col, arg)
}

// findLeadRowIn is findLeadRow on db's connection pool (or connection).
func findLeadRowIn(db *gorm.DB, col string, arg any) (leadRow, error) {
	rows, err := queryLeadRows(db, nil, col+" = "+rowValues(db, 1, 1)+" LIMIT 1", []any{arg})
	if err != nil {
		return leadRow{}, fmt.Errorf("storage: find lead by %s: %w", col, err)
	}
	if len(rows) == 0 {
		return leadRow{}, handoff.Errorf(handoff.ENOTFOUND, "lead %v not found", arg)
	}
	return rows[0], nil
}

// Events returns a lead's history, oldest first.
func (s *Store) Events(ctx context.Context, leadID int64) ([]handoff.Event, error) {
	var rows []eventRow
	if err := s.db.WithContext(ctx).Where("lead_id = ?", leadID).Order("at_ms, id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("storage: events of lead %d: %w", leadID, err)
	}
	out := make([]handoff.Event, len(rows))
	for i, r := range rows {
		e, err := r.toEvent()
		if err != nil {
			return nil, fmt.Errorf("storage: events of lead %d: %w", leadID, err)
		}
		out[i] = e
	}
	return out, nil
}

func (r eventRow) toEvent() (handoff.Event, error) {
	e := handoff.Event{ID: r.ID, LeadID: r.LeadID, Kind: handoff.EventKind(r.Kind), Stage: handoff.Stage(r.Stage), At: fromMs(r.AtMs), Actor: r.Actor}
	if r.Details != "" {
		if err := json.Unmarshal([]byte(r.Details), &e.Details); err != nil {
			return e, fmt.Errorf("%w: event %d details: %v", handoff.ErrCorrupt, r.ID, err)
		}
	}
	return e, nil
}

func leadToRow(l *handoff.Lead) (leadRow, error) {
	if err := checkOwnerID("owner", l.Owner); err != nil {
		return leadRow{}, err
	}
	if h := l.SLAHolder; h != nil {
		if err := checkOwnerID("SLA holder", *h); err != nil {
			return leadRow{}, err
		}
	}
	attrs := ""
	if len(l.Attributes) > 0 {
		b, err := json.Marshal(l.Attributes)
		if err != nil {
			return leadRow{}, fmt.Errorf("attributes: %w", err)
		}
		attrs = string(b)
	}
	row := leadRow{
		ID: l.ID, ExternalID: l.ExternalID, Email: l.Email, Name: l.Name, Company: l.Company,
		Title: l.Title, Phone: l.Phone, Source: l.Source, Campaign: l.Campaign, Score: l.Score,
		ScoreReasons: l.ScoreReasons, NextDecayMs: msPtr(l.NextDecayAt), Stage: string(l.Stage), StageMs: msPtr(l.StageAt), Reached: l.Reached, AmountMinor: l.AmountMinor, Reason: l.Reason,
		Attributes: attrs, OwnerPlatform: l.Owner.Platform, OwnerUserID: l.Owner.UserID, OwnerEmail: l.Owner.Email,
		SQLMs: msPtr(l.SQLAt), SLAFromMs: msPtr(l.SLAFrom), ClaimedMs: msPtr(l.ClaimedAt), ContactedMs: msPtr(l.ContactedAt),
		ClaimDueMs: msPtr(l.ClaimDueAt), ShownMs: msPtr(l.ShownAt), ContactDueMs: msPtr(l.ContactDueAt), SLABreached: l.SLABreached, SLASetMs: msPtr(l.SLASetAt),
		NextRemindMs: msPtr(l.NextReminderAt), ClaimEscMs: msPtr(l.ClaimEscalatedAt), ContactEscMs: msPtr(l.ContactEscalatedAt),
		CreatedMs: ms(l.CreatedAt), UpdatedMs: ms(l.UpdatedAt),
	}
	if h := l.SLAHolder; h != nil {
		row.SLAHeld, row.SLAHolderPlatform, row.SLAHolderUserID, row.SLAHolderEmail = true, h.Platform, h.UserID, h.Email
	}
	if err := row.setOffer(l.Offer); err != nil {
		return leadRow{}, err
	}
	return row, nil
}

// slaHolder is Lead.SLAHolder (and SLACycle.Holder) from its columns: nil
// unless held.
func slaHolder(held bool, platform, userID, email string) *handoff.Owner {
	if !held {
		return nil
	}
	return &handoff.Owner{Platform: platform, UserID: userID, Email: email}
}

func (r leadRow) toLead() (*handoff.Lead, error) {
	l := &handoff.Lead{
		ID: r.ID, ExternalID: r.ExternalID, Email: r.Email, Name: r.Name, Company: r.Company,
		Title: r.Title, Phone: r.Phone, Source: r.Source, Campaign: r.Campaign, Score: r.Score,
		ScoreReasons: r.ScoreReasons, NextDecayAt: fromMsPtr(r.NextDecayMs), Stage: handoff.Stage(r.Stage), StageAt: fromMsPtr(r.StageMs), Reached: r.Reached, AmountMinor: r.AmountMinor, Reason: r.Reason,
		Owner: handoff.Owner{Platform: r.OwnerPlatform, UserID: r.OwnerUserID, Email: r.OwnerEmail},
		SQLAt: fromMsPtr(r.SQLMs), SLAFrom: fromMsPtr(r.SLAFromMs), ClaimedAt: fromMsPtr(r.ClaimedMs), ContactedAt: fromMsPtr(r.ContactedMs),
		ClaimDueAt: fromMsPtr(r.ClaimDueMs), ShownAt: fromMsPtr(r.ShownMs), ContactDueAt: fromMsPtr(r.ContactDueMs), SLABreached: r.SLABreached, SLASetAt: fromMsPtr(r.SLASetMs),
		SLATimers: handoff.SLATimers{NextReminderAt: fromMsPtr(r.NextRemindMs), ClaimEscalatedAt: fromMsPtr(r.ClaimEscMs), ContactEscalatedAt: fromMsPtr(r.ContactEscMs)},
		CreatedAt: fromMs(r.CreatedMs), UpdatedAt: fromMs(r.UpdatedMs), ErasedAt: fromMsPtr(r.ErasedMs),
		SLAHolder: slaHolder(r.SLAHeld, r.SLAHolderPlatform, r.SLAHolderUserID, r.SLAHolderEmail),
	}
	if !l.Stage.HoldsReason() {
		// A replica still on a version that kept a loss's or return's
		// reason on a lead that left the stage (a rolling deploy) can
		// write one after Migrate cleared those stored before
		// (migrateReopenedReasons): no reader of the lead (the API, the
		// webhooks, the cards) shows it, and the lead's next save drops it.
		l.Reason = ""
	}
	if r.Attributes != "" {
		if err := json.Unmarshal([]byte(r.Attributes), &l.Attributes); err != nil {
			return nil, fmt.Errorf("storage: %w: lead %d attributes: %v", handoff.ErrCorrupt, r.ID, err)
		}
	}
	offer, err := r.offer()
	if err != nil {
		return nil, fmt.Errorf("storage: %w: lead %d offer: %v", handoff.ErrCorrupt, r.ID, err)
	}
	l.Offer = offer
	return l, nil
}
