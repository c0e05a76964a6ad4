package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/handoff/handoff"
	"gorm.io/gorm"
)

// repCreditRow is one rep's fairness balance under round-robin routing
// (see handoff.Routing.Decide).
type repCreditRow struct {
	RepKey    string `gorm:"primaryKey;size:300"`
	Credit    int64  `gorm:"not null;default:0"`
	UpdatedMs int64  `gorm:"not null"`
}

func (repCreditRow) TableName() string { return "rep_credits" }

func init() { allModels = append(allModels, &repCreditRow{}) }

// routingLock is the PostgreSQL advisory lock key that serializes routing
// decisions across replicas, so each reads the balances the last one wrote.
const routingLock = 0x68616e646f6666 // "handoff"

// setOffer writes o into the row's offer columns.
func (r *leadRow) setOffer(o *handoff.Offer) error {
	r.OfferState, r.OfferRep, r.OfferDueMs, r.OfferSeq, r.OfferTried, r.OfferCredits = "", "", nil, 0, "", ""
	if o == nil {
		return nil
	}
	r.OfferState, r.OfferSeq = string(o.State), o.Seq
	if !o.Rep.IsZero() {
		r.OfferRep = o.Rep.Key()
	}
	if !o.Until.IsZero() {
		due := ms(o.Until)
		r.OfferDueMs = &due
	}
	if len(o.Tried) > 0 {
		b, err := json.Marshal(o.Tried)
		if err != nil {
			return fmt.Errorf("offer tried: %w", err)
		}
		r.OfferTried = string(b)
	}
	if len(o.Credits) > 0 {
		b, err := json.Marshal(o.Credits)
		if err != nil {
			return fmt.Errorf("offer credits: %w", err)
		}
		r.OfferCredits = string(b)
	}
	return nil
}

// offer reads the row's offer columns; nil when the lead was never routed.
func (r leadRow) offer() (*handoff.Offer, error) {
	if r.OfferState == "" {
		return nil, nil
	}
	o := &handoff.Offer{State: handoff.OfferState(r.OfferState), Seq: r.OfferSeq}
	if r.OfferRep != "" {
		o.Rep = handoff.ParseRepKey(r.OfferRep)
	}
	if r.OfferDueMs != nil {
		o.Until = fromMs(*r.OfferDueMs)
	}
	if r.OfferTried != "" {
		if err := json.Unmarshal([]byte(r.OfferTried), &o.Tried); err != nil {
			return nil, err
		}
	}
	if r.OfferCredits != "" {
		if err := json.Unmarshal([]byte(r.OfferCredits), &o.Credits); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// RouteLead takes one routing step of lead id at now (see
// handoff.Lead.RouteStep): a pass by req.Pass while the lead is still
// offered to them, or otherwise the step that is due (a new SQL, an offer
// that timed out, a waiting lead). The decision, the lead's offer, the reps'
// balances, the routed event and the chat work are written in one
// transaction; the lead is written only if its routing step count is still
// the one read (and, on PostgreSQL, decisions are serialized by an advisory
// lock), so two replicas never offer one lead to two reps. It returns the
// lead after the attempt, the decision and whether a step was taken.
func (s *Store) RouteLead(ctx context.Context, id int64, req handoff.RouteRequest, now time.Time) (*handoff.Lead, handoff.RouteDecision, bool, error) {
	at := fromMs(ms(now))
	var (
		lead    *handoff.Lead
		d       handoff.RouteDecision
		stepped bool
		queued  int
	)
	err := s.tx(ctx, func(tx *gorm.DB) error {
		lead, d, stepped, queued = nil, handoff.RouteDecision{}, false, 0
		if s.dialect == DialectPostgres {
			if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", routingLock).Error; err != nil {
				return err
			}
		}
		row, l, err := lockLead(tx, id)
		if err != nil {
			return err
		}
		lead = l
		if req.Pass.IsZero() && !lead.RouteDue(at) || !req.Pass.IsZero() && !lead.Offer.OfferedTo(req.Pass) {
			return nil
		}
		in := handoff.RouteInput{Now: at, Location: req.Location, States: map[string]handoff.RepState{}}
		for k, st := range req.States {
			in.States[k] = st
		}
		if err := addCredits(tx, in.States); err != nil {
			return err
		}
		if req.Routing.AccountOwnerFirst {
			if in.AccountOwner, err = accountOwner(tx, lead, req.Routing); err != nil {
				return err
			}
		}
		ending := handoff.SkipTimedOut
		if !req.Pass.IsZero() {
			ending = handoff.SkipPassed
		}
		seq := lead.Offer.Seq
		var change handoff.LeadChange
		var credits map[string]int64
		d, change, credits, stepped = lead.RouteStep(req.Routing, in, ending, req.Reason)
		if !stepped {
			return nil
		}
		if err := row.setOffer(lead.Offer); err != nil {
			return err
		}
		r := tx.Model(&leadRow{}).Where("id = ? AND stage = ? AND offer_seq = ?", id, handoff.StageSQL, seq).Updates(map[string]any{
			"offer_state": row.OfferState, "offer_rep": row.OfferRep, "offer_due_ms": row.OfferDueMs, "offer_seq": row.OfferSeq,
			"offer_tried": row.OfferTried, "offer_credits": row.OfferCredits, "updated_ms": ms(at),
		})
		if r.Error != nil {
			return r.Error
		}
		if r.RowsAffected == 0 {
			stepped = false // another step won
			return nil
		}
		if err := saveCredits(tx, credits, at); err != nil {
			return err
		}
		if _, err := s.insertEvents(tx, id, leadKeys(lead), change.Events, at); err != nil {
			return err
		}
		queued = len(change.Outbox)
		return insertOutbox(tx, at, change.Outbox...)
	})
	if err != nil {
		if handoff.ErrorCode(err) != handoff.EINTERNAL {
			return nil, handoff.RouteDecision{}, false, err
		}
		return nil, handoff.RouteDecision{}, false, fmt.Errorf("storage: route lead %d: %w", id, err)
	}
	s.queued(queued)
	if !stepped {
		if lead, err = s.Lead(ctx, id); err != nil {
			return nil, handoff.RouteDecision{}, false, fmt.Errorf("storage: route lead %d: %w", id, err)
		}
	}
	return lead, d, stepped, nil
}

// addCredits adds the stored fairness balances to states.
func addCredits(tx *gorm.DB, states map[string]handoff.RepState) error {
	var rows []repCreditRow
	if err := tx.Find(&rows).Error; err != nil {
		return fmt.Errorf("read rep credits: %w", err)
	}
	for _, r := range rows {
		st := states[r.RepKey]
		st.Credit = r.Credit
		states[r.RepKey] = st
	}
	return nil
}

// saveCredits adds delta to the reps' balances: the balances it changes
// (a rep whose balance a step leaves as it was is not written) in one
// upsert statement (insertRowsThen's: on SQLite of up to 200 rows), in the order of
// their keys, each row written recording at.
// A first offer among n available reps changes all n balances (each gains
// its weight, the one offered loses their sum); a later step changes only
// those of the reps whose refund and new share differ (the offered ones,
// and those whose availability changed).
func saveCredits(tx *gorm.DB, delta map[string]int64, at time.Time) error {
	keys := make([]string, 0, len(delta))
	for key, v := range delta {
		if v != 0 {
			keys = append(keys, key)
		}
	}
	slices.Sort(keys)
	then := onConflictAdd("rep_credits", []string{"rep_key"}, []string{"credit"}) + ", updated_ms = excluded.updated_ms"
	return insertRowsThen(tx, "rep_credits", []string{"rep_key", "credit", "updated_ms"}, then, len(keys), func(i int) []any {
		return []any{keys[i], delta[keys[i]], ms(at)}
	})
}

// sumCredits adds the balance changes more to sum (made when nil) and
// returns it, for a batch that writes the changes of several leads with
// one saveCredits.
func sumCredits(sum, more map[string]int64) map[string]int64 {
	if sum == nil {
		sum = make(map[string]int64, len(more))
	}
	for k, v := range more {
		sum[k] += v
	}
	return sum
}

// later returns the later of a and b.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// RepCredits returns the reps' fairness balances by rep key.
func (s *Store) RepCredits(ctx context.Context) (map[string]int64, error) {
	var rows []repCreditRow
	if err := s.db.WithContext(ctx).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("storage: rep credits: %w", err)
	}
	out := make(map[string]int64, len(rows))
	for _, r := range rows {
		out[r.RepKey] = r.Credit
	}
	return out, nil
}

// accountOwner returns the key of the rep in r who owns an open or won lead
// of the same company or email domain as lead (handoff.AccountOf), or "".
// The most recently changed such lead decides.
func accountOwner(tx *gorm.DB, lead *handoff.Lead, r handoff.Routing) (string, error) {
	company, domain := handoff.AccountOf(lead)
	if company == "" && domain == "" {
		return "", nil
	}
	q := tx.Model(&leadRow{}).Select("owner_platform", "owner_user_id", "owner_email").
		Where("id <> ? AND stage IN ?", lead.ID, []handoff.Stage{handoff.StageClaimed, handoff.StageContacted, handoff.StageOpportunity, handoff.StageWon})
	switch {
	case company != "" && domain != "":
		q = q.Where("(LOWER(company) = ? OR LOWER(email) LIKE ?)", company, "%@"+domain)
	case company != "":
		q = q.Where("LOWER(company) = ?", company)
	default:
		q = q.Where("LOWER(email) LIKE ?", "%@"+domain)
	}
	var owners []leadRow
	if err := q.Order("updated_ms DESC, id DESC").Limit(20).Find(&owners).Error; err != nil {
		return "", fmt.Errorf("account owner: %w", err)
	}
	for _, o := range owners {
		owner := handoff.Owner{Platform: o.OwnerPlatform, UserID: o.OwnerUserID, Email: o.OwnerEmail}
		if rep, ok := r.RepOf(owner); ok {
			return rep.Ref.Key(), nil
		}
	}
	return "", nil
}

// NextRouteDue returns when routing next has a step to take (the earliest
// offer end, waiting lead's next look or unrouted SQL), found by index, and
// false when there is none.
func (s *Store) NextRouteDue(ctx context.Context) (time.Time, bool, error) {
	return s.nextDue(ctx, nextRouteDue(s.dialect), "route")
}

// DueRoutes returns the ids of up to limit leads with a routing step due at
// now, soonest first, found by index.
func (s *Store) DueRoutes(ctx context.Context, now time.Time, limit int) ([]int64, error) {
	var ids []int64
	err := s.db.WithContext(ctx).Raw(dueRoutes(s.dialect), ms(now), limit).Scan(&ids).Error
	if err != nil {
		return nil, fmt.Errorf("storage: due routes: %w", err)
	}
	return ids, nil
}

// nextRouteDue reads the first entry of the partial index of routing steps
// (idx_leads_route_due) with ORDER BY and LIMIT 1 rather than MIN, as
// nextSLADue does. Both queries say stage = 'sql' as a literal, as the
// index's predicate does, so that both databases can use it, and pass an
// erased lead by (routeNotErased).
func nextRouteDue(dialect string) string {
	return "SELECT offer_due_ms AS due FROM leads" + routeHint(dialect) +
		" WHERE offer_due_ms IS NOT NULL AND stage = 'sql' AND " + routeNotErased + " ORDER BY offer_due_ms LIMIT 1"
}

// dueRoutes reads the due entries of the partial index of routing steps.
func dueRoutes(dialect string) string {
	return "SELECT id FROM leads" + routeHint(dialect) +
		" WHERE offer_due_ms <= ? AND stage = 'sql' AND " + routeNotErased + " ORDER BY offer_due_ms, id LIMIT ?"
}

// routeNotErased is Lead.RouteDue's condition that the lead was not
// erased. The erasure ends an SQL's routing (Lead.EndOfferOnErasure), so
// the index holds no lead it erased, and Migrate ended once the routing
// of those erased before it did (migrateErasedOffers); one that a replica
// of an earlier version erases during a rolling deploy stays in the index
// with its offer, passed by, not taken every tick.
const routeNotErased = "erased_ms IS NULL"

// routeHint names the partial index of routing steps on SQLite, whose
// planner without statistics prefers the index on stage: every open SQL,
// on every tick of the scheduler. PostgreSQL picks it by itself, since its
// predicate holds the query's stage = 'sql'.
func routeHint(dialect string) string {
	if dialect == DialectPostgres {
		return ""
	}
	return " INDEXED BY idx_leads_route_due"
}

// WakeWaiting makes every waiting lead due for routing at now, for when a
// rep became available (back from time off).
func (s *Store) WakeWaiting(ctx context.Context, now time.Time) (int64, error) {
	r := s.write.WithContext(ctx).Model(&leadRow{}).Where("offer_state = ? AND stage = ? AND "+routeNotErased, handoff.OfferWaiting, handoff.StageSQL).
		Update("offer_due_ms", ms(now))
	if r.Error != nil {
		return 0, fmt.Errorf("storage: wake waiting leads: %w", r.Error)
	}
	if r.RowsAffected > 0 {
		s.queued(1) // the scheduler looks again
	}
	return r.RowsAffected, nil
}
