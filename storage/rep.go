package storage

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/handoff/handoff"
)

// repStateRow is what changes about a rep of the rotation over time: time
// off and deactivation. The rep's open leads are counted from the leads.
type repStateRow struct {
	// RepKey is handoff.RepRef.Key: "slack:U0123ABC", "teams:ann@berg.dk".
	RepKey string `gorm:"primaryKey;size:350"`
	// AwaySinceMs is set while the rep is away (see AwayUntilMs).
	AwaySinceMs *int64
	// AwayUntilMs is when the time off ends; NULL means until /back.
	AwayUntilMs *int64
	AwayReason  string `gorm:"size:500;not null;default:''"`
	// AwaySource is handoff.AwayByCommand or handoff.AwayBySlackStatus.
	AwaySource    string `gorm:"size:20;not null;default:''"`
	AwaySetBy     string `gorm:"size:320;not null;default:''"`
	Deactivated   bool   `gorm:"not null;default:false"`
	DeactivatedMs *int64
	UpdatedMs     int64 `gorm:"not null"`
}

func (repStateRow) TableName() string { return "rep_states" }

func init() { allModels = append(allModels, &repStateRow{}) }

func (r repStateRow) away() *handoff.Away {
	if r.AwaySinceMs == nil {
		return nil
	}
	a := &handoff.Away{Reason: r.AwayReason, Source: r.AwaySource, SetBy: r.AwaySetBy}
	if r.AwayUntilMs != nil {
		a.Until = fromMs(*r.AwayUntilMs)
	}
	return a
}

// SetAway records that the rep with key is away as a says (a.Until zero:
// until they are back), replacing any earlier time off, except that time
// off from a Slack status (a.Source AwayBySlackStatus) never replaces a
// running /away. It returns
// EINVALID without a key or with one its column cannot hold, and a
// wrapped error when the write fails.
func (s *Store) SetAway(ctx context.Context, key string, a handoff.Away, now time.Time) error {
	if key == "" {
		return handoff.Errorf(handoff.EINVALID, "rep: a rep key is required")
	}
	if err := checkLens(sized{"rep key", key, repKeyColumnLen}, sized{"away's setter", a.SetBy, actorColumnLen}); err != nil {
		return err
	}
	row := repStateRow{RepKey: key, AwaySinceMs: ptr(ms(now)), AwayReason: a.Reason, AwaySource: a.Source,
		AwaySetBy: a.SetBy, UpdatedMs: ms(now)}
	if !a.Until.IsZero() {
		row.AwayUntilMs = ptr(ms(a.Until))
	}
	upsert := clause.OnConflict{
		Columns: []clause.Column{{Name: "rep_key"}},
		DoUpdates: clause.AssignmentColumns([]string{"away_since_ms", "away_until_ms", "away_reason", "away_source",
			"away_set_by", "updated_ms"}),
	}
	if a.Source == handoff.AwayBySlackStatus {
		// A status never replaces time off set with /away that still runs.
		upsert.Where = clause.Where{Exprs: []clause.Expression{clause.Expr{
			SQL:  "NOT (rep_states.away_source = ? AND rep_states.away_since_ms IS NOT NULL AND (rep_states.away_until_ms IS NULL OR rep_states.away_until_ms > ?))",
			Vars: []any{handoff.AwayByCommand, ms(now)}}}}
	}
	err := s.write.WithContext(ctx).Clauses(upsert).Create(&row).Error
	if err != nil {
		return fmt.Errorf("storage: set away %s: %w", handoff.RepLogKey(key), err)
	}
	return nil
}

// ClearAway ends the rep's time off. With source set, only time off from
// that source ends (a cleared Slack status leaves an /away in place). It
// reports whether the rep was away, and a wrapped error when the write
// fails.
func (s *Store) ClearAway(ctx context.Context, key, source string, now time.Time) (bool, error) {
	q := s.write.WithContext(ctx).Model(&repStateRow{}).Where("rep_key = ? AND away_since_ms IS NOT NULL", key)
	if source != "" {
		q = q.Where("away_source = ?", source)
	}
	r := q.Updates(map[string]any{"away_since_ms": gorm.Expr("NULL"), "away_until_ms": gorm.Expr("NULL"),
		"away_reason": "", "away_source": "", "away_set_by": "", "updated_ms": ms(now)})
	if r.Error != nil {
		return false, fmt.Errorf("storage: clear away %s: %w", handoff.RepLogKey(key), r.Error)
	}
	return r.RowsAffected > 0, nil
}

// SetDeactivated records whether the rep's chat account is deactivated. It
// reports whether that changed anything, and a wrapped error when the write
// fails.
func (s *Store) SetDeactivated(ctx context.Context, key string, deactivated bool, now time.Time) (bool, error) {
	if key == "" {
		return false, handoff.Errorf(handoff.EINVALID, "rep: a rep key is required")
	}
	if err := checkLen("rep key", key, repKeyColumnLen); err != nil {
		return false, err
	}
	changed := false
	err := s.write.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		row := repStateRow{RepKey: key, UpdatedMs: ms(now)}
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error; err != nil {
			return err
		}
		var at *int64
		if deactivated {
			at = ptr(ms(now))
		}
		r := tx.Model(&repStateRow{}).Where("rep_key = ? AND deactivated <> ?", key, deactivated).
			Updates(map[string]any{"deactivated": deactivated, "deactivated_ms": at, "updated_ms": ms(now)})
		changed = r.RowsAffected > 0
		return r.Error
	})
	if err != nil {
		return false, fmt.Errorf("storage: set deactivated %s: %w", handoff.RepLogKey(key), err)
	}
	return changed, nil
}

// RepStates returns what changes about every rep that has a stored state or
// owns an open lead, keyed by handoff.RepRef.Key: time off (also when it
// has expired; Away.Active tells), deactivation, and OpenLeads, the leads
// the rep owns that are not settled (claimed, contacted or opportunity).
// A Teams owner is counted under every key a rep may be configured with
// (see teamsRepKeys): "teams:" and their Entra object id or email. Credit is
// left zero: fairness balances are kept with the offers.
func (s *Store) RepStates(ctx context.Context) (map[string]handoff.RepState, error) {
	db := s.db.WithContext(ctx)
	out := map[string]handoff.RepState{}
	var rows []repStateRow
	if err := db.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("storage: rep states: %w", err)
	}
	for _, r := range rows {
		out[r.RepKey] = handoff.RepState{Away: r.away(), Deactivated: r.Deactivated}
	}
	var open []struct {
		OwnerPlatform, OwnerUserID string
		N                          int
	}
	err := db.Table("leads").Select("owner_platform, owner_user_id, COUNT(*) AS n").
		Where("stage IN ? AND owner_user_id <> ''", openOwnedStages()).
		Group("owner_platform, owner_user_id").Scan(&open).Error
	if err != nil {
		return nil, fmt.Errorf("storage: rep open leads: %w", err)
	}
	var teamsIDs []string
	for _, o := range open {
		if o.OwnerPlatform == "teams" {
			teamsIDs = append(teamsIDs, o.OwnerUserID)
		}
	}
	teamsKeys, err := teamsRepKeys(db, teamsIDs)
	if err != nil {
		return nil, err
	}
	for _, o := range open {
		keys := []string{o.OwnerPlatform + ":" + o.OwnerUserID}
		if o.OwnerPlatform == "teams" {
			keys = teamsKeys[o.OwnerUserID]
		}
		for _, k := range keys {
			st := out[k]
			st.OpenLeads += o.N
			out[k] = st
		}
	}
	return out, nil
}

// openOwnedStages are the open stages a lead has an owner in.
func openOwnedStages() []string {
	var out []string
	for _, st := range handoff.AllStages {
		if st.Open() && st != handoff.StageSQL {
			out = append(out, string(st))
		}
	}
	return out
}

func ptr[T any](v T) *T { return &v }
