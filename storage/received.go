package storage

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/handoff/handoff"
)

// ReceivedLeads counts, per rep key (handoff.RepRef.Key), the leads reps
// took in period: the claims recorded in it, whether in the channel or by
// accepting an offer (an accept is a claim). A lead claimed twice by the
// same rep in the period counts once. A Teams rep is counted under each
// key they may be configured with (see RepStates).
func (s *Store) ReceivedLeads(ctx context.Context, period handoff.Period) (map[string]int, error) {
	db := s.db.WithContext(ctx)
	var rows []struct {
		Actor string
		N     int
	}
	err := db.Table("lead_events").Select("actor, COUNT(DISTINCT lead_id) AS n").
		Where("kind = ? AND stage = ? AND at_ms >= ? AND at_ms < ?", handoff.EventStage, handoff.StageClaimed, ms(period.Start), ms(period.End)).
		Where("(actor LIKE 'slack:%' OR actor LIKE 'teams:%')").
		Group("actor").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("storage: received leads %s: %w", period.Label, err)
	}
	var teamsIDs []string
	for _, r := range rows {
		if id, ok := strings.CutPrefix(r.Actor, "teams:"); ok {
			teamsIDs = append(teamsIDs, id)
		}
	}
	keys, err := teamsRepKeys(db, teamsIDs)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, r := range rows {
		ks := []string{r.Actor}
		if id, ok := strings.CutPrefix(r.Actor, "teams:"); ok {
			ks = keys[id]
		}
		for _, k := range ks {
			out[k] += r.N
		}
	}
	return out, nil
}

// teamsOwnersWhere finds the leads owned by some of the Teams users ids,
// with the platform's bind variable and then the ids' (returned): it says
// owner_user_id is set for idx_leads_owner_set (see sparseIndexes).
func teamsOwnersWhere(dialect string, ids []string) (string, any) {
	cond, arg := leadsOfOwners.in(dialect, ids)
	return "owner_platform = ? AND " + cond + " AND owner_user_id <> '' AND owner_email <> ''", arg
}

// teamsUsersByID and leadsOfOwners are the conditions on a Teams user's
// id and on a lead's owner, for a list of users.
var teamsUsersByID, leadsOfOwners = newInList("teams_users", "user_id"), newInList("leads", "owner_user_id")

// teamsRepKeys returns, for each Teams (Bot Framework) user id, the keys a
// rep of the rotation may be configured with: "teams:" and the lowercase
// user id, Entra object id, and the email their leads were recorded with.
func teamsRepKeys(db *gorm.DB, ids []string) (map[string][]string, error) {
	out := map[string][]string{}
	if len(ids) == 0 {
		return out, nil
	}
	dialect, db := db.Dialector.Name(), planEach(db)
	var users []teamsUserRow
	if err := db.Where(teamsUsersByID.in(dialect, ids)).Find(&users).Error; err != nil {
		return nil, fmt.Errorf("storage: teams rep keys: %w", err)
	}
	var emails []struct{ OwnerUserID, OwnerEmail string }
	owners, arg := teamsOwnersWhere(dialect, ids)
	err := db.Table("leads").Select("DISTINCT owner_user_id, owner_email").
		Where(owners, "teams", arg).Scan(&emails).Error
	if err != nil {
		return nil, fmt.Errorf("storage: teams rep emails: %w", err)
	}
	add := func(id, v string) {
		k := "teams:" + strings.ToLower(v)
		for _, have := range out[id] {
			if have == k {
				return
			}
		}
		out[id] = append(out[id], k)
	}
	for _, id := range ids {
		add(id, id)
	}
	for _, u := range users {
		if u.AADObjectID != "" {
			add(u.UserID, u.AADObjectID)
		}
	}
	for _, e := range emails {
		add(e.OwnerUserID, e.OwnerEmail)
	}
	return out, nil
}
