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

// activityRow is one tracked activity of a lead. ExtID is the sender's
// optional id, unique per lead, so that posting it again adds nothing;
// NULL when the sender gave none.
type activityRow struct {
	ID         int64   `gorm:"primaryKey"`
	LeadID     int64   `gorm:"not null;index:idx_activities_lead_time,priority:1;uniqueIndex:idx_activities_lead_ext,priority:1"`
	ExtID      *string `gorm:"size:500;uniqueIndex:idx_activities_lead_ext,priority:2"`
	Type       string  `gorm:"size:100;not null"`
	URL        string  `gorm:"size:2000"`
	OccurredMs int64   `gorm:"not null;index:idx_activities_lead_time,priority:2"`
	CreatedMs  int64   `gorm:"not null"`
}

func (activityRow) TableName() string { return "lead_activities" }

// SaveActivities records activities of the lead with that external id and,
// with scoring in the agreement, recomputes its score and moves it forward
// when it crossed a threshold, in one transaction: the activities, the
// lead, its events and, for a new SQL, its announcement (or a refresh of
// its cards when its score changed). An activity whose id the lead already
// has is left out; one whose id the lead has for another activity (of
// another type or url) is refused, ECONFLICT naming it ("[1].id"), and
// nothing is written. It returns ENOTFOUND for an unknown lead.
func (s *Store) SaveActivities(ctx context.Context, externalID string, acts []handoff.Activity, policy handoff.Policy, now time.Time) (handoff.ActivityResult, error) {
	var res handoff.ActivityResult
	queued, leadID := 0, int64(0)
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var row leadRow
		err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("external_id = ? AND erased_ms IS NULL", externalID).Take(&row).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return handoff.Errorf(handoff.ENOTFOUND, "lead %q not found", externalID)
		}
		if err != nil {
			return err
		}
		leadID = row.ID
		lead, err := row.toLead()
		if err != nil {
			return err
		}
		if err := checkRepeats(tx, lead.ID, acts); err != nil {
			return err
		}
		rows := make([]activityRow, len(acts))
		for i, a := range acts {
			rows[i] = activityRow{LeadID: lead.ID, Type: a.Type, URL: a.URL, OccurredMs: ms(a.OccurredAt), CreatedMs: ms(now)}
			if a.ID != "" {
				id := a.ID
				rows[i].ExtID = &id
			}
		}
		r := tx.Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(&rows, 200)
		if r.Error != nil {
			return r.Error
		}
		res.Added = int(r.RowsAffected)
		res.Lead = lead
		if policy.Scoring == nil || res.Added == 0 {
			return nil
		}
		scored, err := activitiesOf(tx, []int64{lead.ID}, policy.Scoring, now)
		if err != nil {
			return err
		}
		expl, changed, change := lead.Rescore(scored[lead.ID], now, policy)
		res.Score = expl
		if !changed {
			// The score stands, but when it next decays may have moved.
			return tx.Model(&leadRow{}).Where("id = ?", lead.ID).Update("next_decay_ms", msPtr(lead.NextDecayAt)).Error
		}
		queued = len(change.Outbox)
		res.Events, err = s.writeLeadChange(tx, row, lead, change, now)
		return err
	})
	if err != nil {
		return handoff.ActivityResult{}, fmt.Errorf("storage: activities of lead %d: %w", leadID, err)
	}
	s.queued(queued)
	return res, nil
}

// activitiesByExtID is the condition on an activity's id, for a list of ids.
var activitiesByExtID = newInList("lead_activities", "ext_id")

// checkRepeats refuses (handoff.CheckRepeats) activities whose ids the
// lead of leadID has recorded with other activities.
func checkRepeats(tx *gorm.DB, leadID int64, acts []handoff.Activity) error {
	var ids []string
	for _, a := range acts {
		if a.ID != "" {
			ids = append(ids, a.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	var rows []activityRow
	cond, arg := activitiesByExtID.in(tx.Dialector.Name(), ids)
	if err := planEach(tx).Where("lead_id = ?", leadID).Where(cond, arg).Find(&rows).Error; err != nil {
		return fmt.Errorf("activities by id: %w", err)
	}
	recorded := make(map[string]handoff.Activity, len(rows))
	for _, r := range rows {
		recorded[*r.ExtID] = r.toActivity()
	}
	return handoff.CheckRepeats(acts, recorded)
}

// Activities returns the lead's activities that count for scoring at now
// (those within the decay; all without scoring or decay), oldest first.
func (s *Store) Activities(ctx context.Context, leadID int64, scoring *handoff.Scoring, now time.Time) ([]handoff.Activity, error) {
	acts, err := activitiesOf(s.db.WithContext(ctx), []int64{leadID}, scoring, now)
	if err != nil {
		return nil, fmt.Errorf("storage: activities of lead %d: %w", leadID, err)
	}
	return acts[leadID], nil
}

// activitiesOfLeads is the condition on an activity's lead, for a list of
// leads.
var activitiesOfLeads = newInList("lead_activities", "lead_id")

// activitiesOf reads the activities of leads by lead id, oldest first,
// leaving out those decayed at now.
func activitiesOf(db *gorm.DB, leadIDs []int64, scoring *handoff.Scoring, now time.Time) (map[int64][]handoff.Activity, error) {
	out := make(map[int64][]handoff.Activity, len(leadIDs))
	dialect, db := db.Dialector.Name(), planEach(db)
	err := activitiesOfLeads.eachChunk(dialect, leadIDs, func(cond string, arg any) error {
		q := db.Where(cond, arg)
		if scoring != nil && scoring.Decay > 0 {
			q = q.Where("occurred_ms > ?", ms(now.Add(-scoring.Decay)))
		}
		var rows []activityRow
		if err := q.Order("occurred_ms, id").Find(&rows).Error; err != nil {
			return fmt.Errorf("activities: %w", err)
		}
		for _, r := range rows {
			out[r.LeadID] = append(out[r.LeadID], r.toActivity())
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (r activityRow) toActivity() handoff.Activity {
	a := handoff.Activity{Type: r.Type, URL: r.URL, OccurredAt: fromMs(r.OccurredMs)}
	if r.ExtID != nil {
		a.ID = *r.ExtID
	}
	return a
}

// ScoredLeads returns the leads that arrived in period (entered the lead
// stage in it, as the funnel counts them) with all their activities, for a
// what-if evaluation of scoring rules.
func (s *Store) ScoredLeads(ctx context.Context, period handoff.Period) ([]handoff.ScoredLead, error) {
	db := s.db.WithContext(ctx)
	var ids []int64
	err := db.Raw("SELECT DISTINCT e.lead_id FROM lead_events e WHERE e.kind = ? AND e.stage = ? AND e.at_ms >= ? AND e.at_ms < ? ORDER BY 1",
		string(handoff.EventStage), string(handoff.StageLead), ms(period.Start), ms(period.End)).Scan(&ids).Error
	if err != nil {
		return nil, fmt.Errorf("storage: leads of %s: %w", period.Label, err)
	}
	acts, err := activitiesOf(db, ids, nil, time.Time{})
	if err != nil {
		return nil, fmt.Errorf("storage: leads of %s: %w", period.Label, err)
	}
	rows, err := leadRowsByID(db, ids)
	if err != nil {
		return nil, fmt.Errorf("storage: leads of %s: %w", period.Label, err)
	}
	out := make([]handoff.ScoredLead, 0, len(rows))
	for _, r := range rows {
		l, err := r.toLead()
		if err != nil {
			return nil, fmt.Errorf("storage: leads of %s: %w", period.Label, err)
		}
		out = append(out, handoff.ScoredLead{Lead: l, Activities: acts[l.ID]})
	}
	return out, nil
}

// leadRowsByID reads the leads of ids, given in ascending order, in the
// order of their ids (on PostgreSQL in one statement: leadsOfIDs).
func leadRowsByID(db *gorm.DB, ids []int64) ([]leadRow, error) {
	var out []leadRow
	dialect, db := db.Dialector.Name(), planEach(db)
	err := leadsOfIDs.eachChunk(dialect, ids, func(cond string, arg any) error {
		var rows []leadRow
		if err := db.Where(cond, arg).Order("id").Find(&rows).Error; err != nil {
			return err
		}
		out = append(out, rows...)
		return nil
	})
	return out, err
}
