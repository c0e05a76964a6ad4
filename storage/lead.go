package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/handoff/handoff"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Outbox kinds written by the store itself.
const (
	// OutboxAnnounceLead posts a new SQL to the sales channels.
	OutboxAnnounceLead = "lead.announce"
	// OutboxRefreshLead re-renders a lead's posted chat messages after a change.
	OutboxRefreshLead = "lead.refresh"
)

// SaveResult is the outcome of SaveLead.
type SaveResult struct {
	Lead    *handoff.Lead
	Created bool // a new lead was stored
	Changed bool // anything was written
	Events  []handoff.Event
}

// errRaced means a concurrent writer inserted the same external id first.
var errRaced = errors.New("storage: concurrent insert")

// SaveLead creates or updates the lead named by in.ExternalID in one
// transaction: the lead row, its new events and, when it becomes an SQL, the
// outbox entry that announces it in chat. Repeating the same input changes
// nothing. It returns ECONFLICT for a backwards stage move.
func (s *Store) SaveLead(ctx context.Context, in handoff.LeadInput, policy handoff.Policy, now time.Time, actor string) (SaveResult, error) {
	for attempt := 0; ; attempt++ {
		res, err := s.saveLeadOnce(ctx, in, policy, now, actor)
		if errors.Is(err, errRaced) && attempt < 3 {
			continue
		}
		if err != nil {
			return SaveResult{}, fmt.Errorf("storage: save lead %q: %w", in.ExternalID, err)
		}
		return res, nil
	}
}

func (s *Store) saveLeadOnce(ctx context.Context, in handoff.LeadInput, policy handoff.Policy, now time.Time, actor string) (SaveResult, error) {
	var res SaveResult
	err := s.write.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		res, err = s.saveInTx(tx, in, policy, now, actor)
		return err
	})
	return res, err
}

// saveInTx applies one input inside tx. A domain error (conflict, invalid)
// is returned before anything is written.
func (s *Store) saveInTx(tx *gorm.DB, in handoff.LeadInput, policy handoff.Policy, now time.Time, actor string) (SaveResult, error) {
	var row leadRow
	err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("external_id = ?", in.ExternalID).Take(&row).Error
	lead := &handoff.Lead{}
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
	case err != nil:
		return SaveResult{}, err
	default:
		if lead, err = row.toLead(); err != nil {
			return SaveResult{}, err
		}
	}
	changed, events, err := in.Apply(lead, now, actor, policy)
	if err != nil {
		return SaveResult{}, err
	}
	res := SaveResult{Lead: lead, Changed: changed, Created: lead.ID == 0}
	if !changed {
		return res, nil
	}
	if err := s.writeLead(tx, lead, res.Created); err != nil {
		return SaveResult{}, err
	}
	if res.Events, err = insertEvents(tx, lead.ID, events); err != nil {
		return SaveResult{}, err
	}
	return res, enqueueFor(tx, lead, events, now)
}

// SaveLeads saves a batch of inputs in one transaction, for bulk imports.
// Each input's domain error (a backwards move, say) is reported in errs at
// its index and skips only that input; a database error fails the batch and
// writes nothing.
func (s *Store) SaveLeads(ctx context.Context, ins []handoff.LeadInput, policy handoff.Policy, now time.Time, actor string) (results []SaveResult, errs []error, err error) {
	for attempt := 0; ; attempt++ {
		results, errs = make([]SaveResult, len(ins)), make([]error, len(ins))
		err = s.write.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			for i, in := range ins {
				res, err := s.saveInTx(tx, in, policy, now, actor)
				if err != nil && handoff.ErrorCode(err) == handoff.EINTERNAL {
					return err
				}
				results[i], errs[i] = res, err
			}
			return nil
		})
		if errors.Is(err, errRaced) && attempt < 3 {
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("storage: save %d leads: %w", len(ins), err)
		}
		return results, errs, nil
	}
}

// writeLead inserts or updates the lead row, setting lead.ID on insert.
func (s *Store) writeLead(tx *gorm.DB, lead *handoff.Lead, create bool) error {
	row, err := leadToRow(lead)
	if err != nil {
		return err
	}
	if !create {
		return tx.Model(&leadRow{}).Where("id = ?", row.ID).Select("*").Omit("id", "created_ms").Updates(&row).Error
	}
	r := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "external_id"}}, DoNothing: true}).Create(&row)
	if r.Error != nil {
		return r.Error
	}
	if r.RowsAffected == 0 {
		return errRaced
	}
	lead.ID = row.ID
	return nil
}

// enqueueFor queues chat work caused by the events: an announcement when the
// lead became an SQL, otherwise a refresh of its posted messages.
func enqueueFor(tx *gorm.DB, lead *handoff.Lead, events []handoff.Event, now time.Time) error {
	if len(events) == 0 || lead.SQLAt == nil {
		return nil
	}
	kind := OutboxRefreshLead
	for _, e := range events {
		if e.Kind == handoff.EventStage && e.Stage == handoff.StageSQL {
			kind = OutboxAnnounceLead
		}
	}
	return insertOutbox(tx, now, OutboxMessage{Kind: kind, LeadID: lead.ID})
}

func insertEvents(tx *gorm.DB, leadID int64, events []handoff.Event) ([]handoff.Event, error) {
	if len(events) == 0 {
		return nil, nil
	}
	rows := make([]eventRow, len(events))
	for i, e := range events {
		details := ""
		if len(e.Details) > 0 {
			b, err := json.Marshal(e.Details)
			if err != nil {
				return nil, err
			}
			details = string(b)
		}
		rows[i] = eventRow{LeadID: leadID, Kind: string(e.Kind), Stage: string(e.Stage), AtMs: ms(e.At), Actor: e.Actor, Details: details}
	}
	if err := tx.Create(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]handoff.Event, len(events))
	for i, e := range events {
		e.ID, e.LeadID = rows[i].ID, leadID
		out[i] = e
	}
	return out, nil
}

// LeadByExternalID returns the lead with that external id, or ENOTFOUND.
func (s *Store) LeadByExternalID(ctx context.Context, externalID string) (*handoff.Lead, error) {
	return s.findLead(ctx, "external_id = ?", externalID)
}

// Lead returns the lead with that id, or ENOTFOUND.
func (s *Store) Lead(ctx context.Context, id int64) (*handoff.Lead, error) {
	return s.findLead(ctx, "id = ?", id)
}

func (s *Store) findLead(ctx context.Context, where string, arg any) (*handoff.Lead, error) {
	var row leadRow
	err := s.db.WithContext(ctx).Where(where, arg).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, handoff.Errorf(handoff.ENOTFOUND, "lead %v not found", arg)
	}
	if err != nil {
		return nil, fmt.Errorf("storage: find lead %v: %w", arg, err)
	}
	return row.toLead()
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
			return e, fmt.Errorf("event %d details: %w", r.ID, err)
		}
	}
	return e, nil
}

func leadToRow(l *handoff.Lead) (leadRow, error) {
	attrs := ""
	if len(l.Attributes) > 0 {
		b, err := json.Marshal(l.Attributes)
		if err != nil {
			return leadRow{}, fmt.Errorf("attributes: %w", err)
		}
		attrs = string(b)
	}
	return leadRow{
		ID: l.ID, ExternalID: l.ExternalID, Email: l.Email, Name: l.Name, Company: l.Company,
		Title: l.Title, Phone: l.Phone, Source: l.Source, Campaign: l.Campaign, Score: l.Score,
		Stage: string(l.Stage), Reached: l.Reached, AmountMinor: l.AmountMinor, Reason: l.Reason,
		Attributes: attrs, OwnerPlatform: l.Owner.Platform, OwnerUserID: l.Owner.UserID, OwnerEmail: l.Owner.Email,
		SQLMs: msPtr(l.SQLAt), ClaimedMs: msPtr(l.ClaimedAt), ContactedMs: msPtr(l.ContactedAt),
		ClaimDueMs: msPtr(l.ClaimDueAt), ContactDueMs: msPtr(l.ContactDueAt), SLABreached: l.SLABreached,
		CreatedMs: ms(l.CreatedAt), UpdatedMs: ms(l.UpdatedAt),
	}, nil
}

func (r leadRow) toLead() (*handoff.Lead, error) {
	l := &handoff.Lead{
		ID: r.ID, ExternalID: r.ExternalID, Email: r.Email, Name: r.Name, Company: r.Company,
		Title: r.Title, Phone: r.Phone, Source: r.Source, Campaign: r.Campaign, Score: r.Score,
		Stage: handoff.Stage(r.Stage), Reached: r.Reached, AmountMinor: r.AmountMinor, Reason: r.Reason,
		Owner: handoff.Owner{Platform: r.OwnerPlatform, UserID: r.OwnerUserID, Email: r.OwnerEmail},
		SQLAt: fromMsPtr(r.SQLMs), ClaimedAt: fromMsPtr(r.ClaimedMs), ContactedAt: fromMsPtr(r.ContactedMs),
		ClaimDueAt: fromMsPtr(r.ClaimDueMs), ContactDueAt: fromMsPtr(r.ContactDueMs), SLABreached: r.SLABreached,
		CreatedAt: fromMs(r.CreatedMs), UpdatedAt: fromMs(r.UpdatedMs),
	}
	if r.Attributes != "" {
		if err := json.Unmarshal([]byte(r.Attributes), &l.Attributes); err != nil {
			return nil, fmt.Errorf("storage: lead %d attributes: %w", r.ID, err)
		}
	}
	return l, nil
}
