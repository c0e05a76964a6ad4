package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/handoff/handoff"
)

// RoutingStats measures routing over [from, to): the routed events and the
// claims in the period, each read by a range of the KPI index (kind, stage,
// at_ms), counted by handoff.MeasureRouting. An offer made before from and
// accepted in the period is not counted.
func (s *Store) RoutingStats(ctx context.Context, from, to time.Time) (handoff.RoutingStats, error) {
	return s.routingStats(ctx, ms(from), ms(to))
}

// routingStats is RoutingStats over [from, to) in milliseconds.
func (s *Store) routingStats(ctx context.Context, from, to int64) (handoff.RoutingStats, error) {
	db := s.db.WithContext(ctx)
	q := "SELECT lead_id, at_ms, actor, details FROM lead_events WHERE kind = ? AND stage = ? AND at_ms >= ? AND at_ms < ?"
	var routed, claimed []eventRow
	if err := db.Raw(q, string(handoff.EventRouted), string(handoff.StageSQL), from, to).Scan(&routed).Error; err != nil {
		return handoff.RoutingStats{}, fmt.Errorf("storage: routing stats: routed events: %w", err)
	}
	if len(routed) == 0 {
		return handoff.RoutingStats{}, nil
	}
	if err := db.Raw(q, string(handoff.EventStage), string(handoff.StageClaimed), from, to).Scan(&claimed).Error; err != nil {
		return handoff.RoutingStats{}, fmt.Errorf("storage: routing stats: claims: %w", err)
	}
	steps := make([]handoff.RoutedStep, 0, len(routed))
	offered := map[int64]map[string]string{} // lead → lowercase offered rep key → the key
	for _, r := range routed {
		var d map[string]string
		if r.Details != "" {
			if err := json.Unmarshal([]byte(r.Details), &d); err != nil {
				return handoff.RoutingStats{}, fmt.Errorf("storage: routing stats: lead %d details: %w", r.LeadID, err)
			}
		}
		st := handoff.RoutedStep{LeadID: r.LeadID, At: fromMs(r.AtMs), Opened: d["state"] == string(handoff.OfferOpen),
			Waiting: d["state"] == string(handoff.OfferWaiting), Ending: handoff.SkipReason(d["ending"])}
		if k := d["offered"]; k != "" {
			st.Offered = handoff.ParseRepKey(k)
			if offered[r.LeadID] == nil {
				offered[r.LeadID] = map[string]string{}
			}
			offered[r.LeadID][strings.ToLower(k)] = k
		}
		if k := d["ended"]; k != "" {
			st.Ended = handoff.ParseRepKey(k)
		}
		if raw := d["decision"]; raw != "" && !st.Offered.IsZero() && st.Ended.IsZero() {
			var decision handoff.RouteDecision
			if err := json.Unmarshal([]byte(raw), &decision); err != nil {
				return handoff.RoutingStats{}, fmt.Errorf("storage: routing stats: lead %d decision: %w", r.LeadID, err)
			}
			for _, c := range decision.Candidates {
				if c.Available() {
					st.Available = append(st.Available, c.Rep)
				}
			}
		}
		steps = append(steps, st)
	}
	claims, err := routedClaims(db, claimed, offered)
	if err != nil {
		return handoff.RoutingStats{}, err
	}
	return handoff.MeasureRouting(steps, claims), nil
}

// routedClaims are the claim events as the routing measure reads them. A
// Teams claim's actor is the Bot Framework user ("teams:29:…") while the
// rep may be offered under their Entra object id or email: the actor
// becomes the key the lead was offered under when it names the same user
// (teamsRepKeys, as ReceivedLeads counts them).
func routedClaims(db *gorm.DB, claimed []eventRow, offered map[int64]map[string]string) ([]handoff.RoutedClaim, error) {
	var teamsIDs []string
	for _, r := range claimed {
		if id, ok := strings.CutPrefix(r.Actor, "teams:"); ok {
			teamsIDs = append(teamsIDs, id)
		}
	}
	keys, err := teamsRepKeys(db, teamsIDs)
	if err != nil {
		return nil, fmt.Errorf("storage: routing stats: %w", err)
	}
	claims := make([]handoff.RoutedClaim, len(claimed))
	for i, r := range claimed {
		actor := r.Actor
		if id, ok := strings.CutPrefix(r.Actor, "teams:"); ok {
			for _, k := range keys[id] {
				if key, ok := offered[r.LeadID][k]; ok {
					actor = key
					break
				}
			}
		}
		claims[i] = handoff.RoutedClaim{LeadID: r.LeadID, At: fromMs(r.AtMs), Actor: actor}
	}
	return claims, nil
}
