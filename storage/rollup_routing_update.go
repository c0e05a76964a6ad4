package storage

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/handoff/handoff"
	"gorm.io/gorm"
)

// The routing rollup's writes: which leads' routing a transaction changed, their
// earlier routed steps and claims read, and the facts they gained or lost written
// with the day rows (the facts themselves are in rollup_routing.go).

// routingLeadChange is one lead's routing before and after a transaction.
type routingLeadChange struct {
	id            int64
	before, after []routingFact
}

// routingWrites are the writes of the routing rollup for changes, in
// shard: the facts that a lead gained inserted (or, when it lost any, its
// facts deleted and written anew) and one upsert of the day rows.
func routingWrites(shard int64, changes []routingLeadChange) []tableWrite {
	days := map[routingDayKey]*routingDayCounts{}
	facts := tableWrite{what: "rollup: routing facts", table: "routing_facts", cols: routingFactCols}
	var cleared []int64
	for _, c := range changes {
		have := map[routingFact]int{}
		for _, f := range c.before {
			have[f]++
			f.count(days, shard, -1)
		}
		var added []routingFact
		for _, f := range c.after {
			f.count(days, shard, +1)
			if have[f] > 0 {
				have[f]--
			} else {
				added = append(added, f)
			}
		}
		lost := false
		for _, n := range have {
			lost = lost || n > 0
		}
		if lost {
			cleared = append(cleared, c.id)
			added = c.after
		}
		for _, f := range added {
			facts.rows = append(facts.rows, f.row(c.id))
		}
	}
	var ws []tableWrite
	if len(cleared) > 0 {
		ws = append(ws, tableWrite{what: "rollup: routing facts", deleteOf: factsOfLeads, deleteIDs: cleared})
	}
	if w := routingDaysWrite(days); len(w.rows) > 0 {
		ws = append(ws, w)
	}
	if len(facts.rows) > 0 {
		ws = append(ws, facts)
	}
	return ws
}

// routingChanged are the leads of r that gained a routed step or a claim,
// and among them those known before the transaction (whose earlier items
// count).
func (r rollupChanges) routingChanged() (changed, known []int64) {
	for _, id := range r.order {
		c := r.merged[id]
		for _, e := range c.events {
			if isRoutingEvent(e.Kind, e.Stage) {
				changed = append(changed, id)
				if c.old != nil {
					known = append(known, id)
				}
				break
			}
		}
	}
	return changed, known
}

// routingLeadChanges computes the routing facts of the changed leads
// before and after the transaction from their earlier items (history) and
// the events the transaction adds.
func (r rollupChanges) routingLeadChanges(changed []int64, history map[int64][]routingItem, teamsKeys map[string][]string) ([]routingLeadChange, error) {
	out := make([]routingLeadChange, 0, len(changed))
	for _, id := range changed {
		before := history[id]
		after := slices.Clip(before)
		for i, e := range r.merged[id].events {
			if !isRoutingEvent(e.Kind, e.Stage) {
				continue
			}
			it, err := routingItemOf(e, math.MaxInt64/2+int64(i)) // after every stored event
			if err != nil {
				return nil, err
			}
			after = append(after, it)
		}
		c := routingLeadChange{id: id, after: leadRoutingFacts(after, teamsKeys)}
		if len(before) > 0 {
			c.before = leadRoutingFacts(before, teamsKeys)
		}
		out = append(out, c)
	}
	return out, nil
}

// routingEventsSQL reads the routing items of some leads by the lead
// index (see stageHistorySQL): those of the condition leads
// (eventsOfLeads), then routingEventArgs.
func routingEventsSQL(dialect, leads string) string {
	return "SELECT id, lead_id, kind, stage, at_ms, actor, details FROM lead_events" + leadIndexHint(dialect) +
		" WHERE " + leads + " AND ((kind = ? AND stage = ?) OR (kind = ? AND stage = ?))"
}

var routingEventArgs = []any{string(handoff.EventRouted), string(handoff.StageSQL), string(handoff.EventStage), string(handoff.StageClaimed)}

// routingHistory reads the routing items of leads ids.
func routingHistory(tx *gorm.DB, ids []int64) (map[int64][]routingItem, error) {
	out := map[int64][]routingItem{}
	dialect, db := tx.Dialector.Name(), planEach(tx)
	err := eventsOfLeads.eachChunk(dialect, ids, func(cond string, arg any) error {
		var rows []eventRow
		if err := db.Raw(routingEventsSQL(dialect, cond), append([]any{arg}, routingEventArgs...)...).Scan(&rows).Error; err != nil {
			return fmt.Errorf("rollup: routing history: %w", err)
		}
		for _, r := range rows {
			it, err := routingItemOf(r, r.ID)
			if err != nil {
				return err
			}
			out[r.LeadID] = append(out[r.LeadID], it)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// teamsClaimers are the Bot Framework user ids of the Teams claims among
// events.
func teamsClaimers(events []eventRow) []string {
	var ids []string
	for _, e := range events {
		if id, ok := strings.CutPrefix(e.Actor, "teams:"); ok && e.Kind == string(handoff.EventStage) && e.Stage == string(handoff.StageClaimed) {
			ids = append(ids, id)
		}
	}
	return ids
}

// routingHistoryKeys reads the routing items of leads ids and the other
// keys of their Teams claimers and of actors (teamsRepKeys).
func routingHistoryKeys(tx *gorm.DB, ids []int64, actors []string) (map[int64][]routingItem, map[string][]string, error) {
	history, err := routingHistory(tx, ids)
	if err != nil {
		return nil, nil, err
	}
	for _, id := range ids {
		actors = append(actors, teamsActors(history[id])...)
	}
	teamsKeys, err := teamsRepKeys(tx, actors)
	if err != nil {
		return nil, nil, fmt.Errorf("rollup: routing: %w", err)
	}
	return history, teamsKeys, nil
}

// updateRoutingRollup is updateRollup's part for routing: the routing
// items of the known leads that gained one are read, and the facts they
// gained or lost written, in shard.
func updateRoutingRollup(tx *gorm.DB, r rollupChanges, shard int64) error {
	changed, known := r.routingChanged()
	if len(changed) == 0 {
		return nil
	}
	var actors []string
	for _, id := range changed {
		actors = append(actors, teamsClaimers(r.merged[id].events)...)
	}
	history, teamsKeys, err := routingHistoryKeys(tx, known, actors)
	if err != nil {
		return err
	}
	changes, err := r.routingLeadChanges(changed, history, teamsKeys)
	if err != nil {
		return err
	}
	return execWrites(tx, routingWrites(shard, changes))
}

// newLeadsRoutingWrites are the routing rollup's writes for r's leads,
// all new (no earlier items), in shard; ok is false when one has a Teams
// claim, whose claimer's other keys only the transaction reads.
func newLeadsRoutingWrites(r rollupChanges, shard int64) (ws []tableWrite, ok bool, err error) {
	changed, _ := r.routingChanged()
	for _, id := range changed {
		if len(teamsClaimers(r.merged[id].events)) > 0 {
			return nil, false, nil
		}
	}
	changes, err := r.routingLeadChanges(changed, nil, nil)
	if err != nil {
		return nil, false, err
	}
	return routingWrites(shard, changes), true, nil
}

// refreshRoutingRollup counts the routing of leads ids anew from their
// events, after a change that rewrote them in place (an erasure empties
// their details): the facts kept for them are replaced by the ones their
// events now give.
func refreshRoutingRollup(tx *gorm.DB, ids []int64) error {
	type factRow struct {
		LeadID, AtMs, DelayMs int64
		PrevMs                *int64
		Kind, Rep, Pool       string
	}
	var kept []factRow
	db := planEach(tx)
	err := factsOfLeads.eachChunk(tx.Dialector.Name(), ids, func(cond string, arg any) error {
		var rows []factRow
		if err := db.Raw("SELECT lead_id, kind, at_ms, prev_ms, rep, pool, delay_ms FROM routing_facts WHERE "+cond, arg).Scan(&rows).Error; err != nil {
			return fmt.Errorf("rollup: routing facts: %w", err)
		}
		kept = append(kept, rows...)
		return nil
	})
	if err != nil {
		return err
	}
	if len(kept) == 0 {
		return nil // nothing was counted, and an erasure adds nothing
	}
	before := map[int64][]routingFact{}
	var changed []int64
	for _, k := range kept {
		if before[k.LeadID] == nil {
			changed = append(changed, k.LeadID)
		}
		f := routingFact{kind: k.Kind, at: k.AtMs, rep: k.Rep, pool: k.Pool, delay: k.DelayMs}
		if k.PrevMs != nil {
			f.prev, f.hasPrev = *k.PrevMs, true
		}
		before[k.LeadID] = append(before[k.LeadID], f)
	}
	history, teamsKeys, err := routingHistoryKeys(tx, changed, nil)
	if err != nil {
		return err
	}
	changes := make([]routingLeadChange, len(changed))
	for i, id := range changed {
		changes[i] = routingLeadChange{id: id, before: before[id], after: leadRoutingFacts(history[id], teamsKeys)}
	}
	return execWrites(tx, routingWrites(txShard(tx.Dialector.Name()), changes))
}

// refreshTeamsEmail counts anew the routing of the routed leads that Teams
// user lead.Owner owns when the write that row was read before gave that
// user an email no other lead of theirs had (RecordOwnerEmail after the
// claim, say): whether their claims accepted offers made to the email
// depends on it (leadRoutingFacts, teamsRepKeys).
func refreshTeamsEmail(tx *gorm.DB, row leadRow, lead *handoff.Lead) error {
	o := lead.Owner
	if o.Platform != "teams" || o.UserID == "" || o.Email == "" ||
		(row.OwnerUserID == o.UserID && strings.EqualFold(row.OwnerEmail, o.Email)) {
		return nil
	}
	var known int64
	err := tx.Raw("SELECT COUNT(*) FROM leads WHERE owner_platform = ? AND owner_user_id = ? AND LOWER(owner_email) = LOWER(?) AND id <> ?",
		o.Platform, o.UserID, o.Email, lead.ID).Scan(&known).Error
	if err != nil {
		return fmt.Errorf("rollup: emails of lead %d's teams owner: %w", lead.ID, err)
	}
	if known > 0 {
		return nil
	}
	return refreshTeamsUserRouting(tx, o.UserID)
}

// refreshTeamsUserRouting counts anew the routing of the routed leads that
// Teams user userID owns, after they gained a key (an email, an Entra id).
func refreshTeamsUserRouting(tx *gorm.DB, userID string) error {
	var ids []int64
	err := tx.Raw("SELECT DISTINCT f.lead_id FROM routing_facts f JOIN leads l ON l.id = f.lead_id WHERE l.owner_platform = ? AND l.owner_user_id = ?",
		"teams", userID).Scan(&ids).Error
	if err != nil {
		return fmt.Errorf("rollup: routed leads of %s: %w", handoff.RepLogKey("teams:"+userID), err)
	}
	return refreshRoutingRollup(tx, ids)
}
