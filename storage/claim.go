package storage

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/handoff/handoff"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

func notFound(format string, args ...any) error {
	return handoff.Errorf(handoff.ENOTFOUND, format, args...)
}

// ClaimLead makes owner the owner of lead id if it is still an unclaimed
// SQL. The domain decides the change (Lead.Claim); the store writes it as
// one conditional UPDATE, so of any number of concurrent claims exactly one
// wins. The claim is late as p's SLA clock judges it at now (Lead.Claim):
// p is the agreement the process runs under, passed by the caller as
// SaveLead's is. It returns the lead as it stands after the attempt and whether this
// call won; a losing call changes nothing. Concurrent claims share one
// batch, one transaction and one commit (claimJobs): in SQLite's writer,
// and in a committer of claims of their own on PostgreSQL.
func (s *Store) ClaimLead(ctx context.Context, id int64, owner handoff.Owner, now time.Time, p handoff.Policy, actor string) (*handoff.Lead, bool, error) {
	return s.claimLead(ctx, id, anyStep, owner, now, p, actor, handoff.Delivery{}, nil)
}

// ClaimLeadAtStep is ClaimLead for a claim allowed on an earlier read of
// the lead: it also loses when the lead's routing step count
// (handoff.Offer.Step) is no longer step, so a click checked against an
// offer that has since timed out or been passed on changes nothing.
func (s *Store) ClaimLeadAtStep(ctx context.Context, id int64, step int, owner handoff.Owner, now time.Time, p handoff.Policy, actor string) (*handoff.Lead, bool, error) {
	return s.claimLead(ctx, id, step, owner, now, p, actor, handoff.Delivery{}, nil)
}

// ClaimLeadIf is ClaimLeadAtStep for a claim that allow must accept: it
// reads the lead, asks allow (outside any transaction: it may ask a chat
// platform), and claims at the routing step allow read, so that an offer
// that moved on meanwhile is not taken. allow's error is returned as it is,
// with the lead read; a lead that is not an SQL, or was erased, is
// returned without a write. When the claim wins, the messages welcome returns for the
// claimed lead (the new owner's direct message) are queued in the claim's
// commit; welcome may be nil. welcome and the domain's decision run on
// that read, outside the batch, and are used when the batch finds the lead
// unchanged. A click that its platform may deliver again names its
// delivery once (zero for none): a claim it wins records it in its commit
// (processed_events, as MarkProcessed does), and a delivery recorded
// already does not claim, whatever the lead.
func (s *Store) ClaimLeadIf(ctx context.Context, id int64, owner handoff.Owner, now time.Time, p handoff.Policy, actor string, once handoff.Delivery, allow func(*handoff.Lead) error, welcome func(*handoff.Lead) []handoff.OutboxMessage) (*handoff.Lead, bool, error) {
	// A click waits for this process's claim of the lead in flight, if
	// any, and then reads it: a click that loses to it reads the claimed
	// lead and neither renders the welcome it would never send nor joins
	// a batch. Clicks of other replicas are decided by the database.
	if err := checkClaim(owner, actor); err != nil {
		return nil, false, err
	}
	done, err := s.claiming.wait(ctx, id)
	if err != nil {
		return nil, false, fmt.Errorf("storage: claim lead %d: %w", id, err)
	}
	defer done()
	var refused error
	step := anyStep
	check := func(l *handoff.Lead) bool {
		step, refused = l.Offer.Step(), allow(l)
		return refused == nil
	}
	row, err := s.leadRowByID(ctx, id)
	if err != nil {
		return nil, false, err
	}
	lead, err := row.toLead()
	if err != nil {
		return nil, false, err
	}
	if !check(lead) {
		return lead, false, refused
	}
	if lead.Stage != handoff.StageSQL || lead.ErasedAt != nil {
		return lead, false, nil
	}
	if s.claims == nil || s.claimInTx {
		return s.claimLead(ctx, id, step, owner, now, p, actor, once, welcome)
	}
	at := fromMs(ms(now))
	item := &claimItem{id: id, step: step, owner: owner, at: at, policy: p, actor: actor, once: once, hooks: s.hooks, welcome: welcome, read: &row}
	if change, ok := lead.Claim(owner, at, p, actor); ok {
		item.readClaim = &readClaim{lead: lead, change: change}
		if welcome != nil {
			item.readClaim.change.Outbox = append(item.readClaim.change.Outbox, welcome(lead)...)
		}
	}
	return s.claimInBatch(ctx, item)
}

// claimsInFlight are the leads a ClaimLeadIf of this process is claiming,
// each with a channel closed when that claim has its outcome.
type claimsInFlight struct {
	mu    sync.Mutex
	leads map[int64]chan struct{}
}

// wait returns once no other claim of lead id is in flight, marking this
// one in flight until done is called; or ctx's error.
func (c *claimsInFlight) wait(ctx context.Context, id int64) (done func(), err error) {
	for {
		c.mu.Lock()
		busy, ok := c.leads[id]
		if !ok {
			if c.leads == nil {
				c.leads = map[int64]chan struct{}{}
			}
			mine := make(chan struct{})
			c.leads[id] = mine
			c.mu.Unlock()
			return func() {
				c.mu.Lock()
				delete(c.leads, id)
				c.mu.Unlock()
				close(mine)
			}, nil
		}
		c.mu.Unlock()
		select {
		case <-busy:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// anyStep is claimLead's step for a claim at whatever routing step the
// lead is at.
const anyStep = -1

func (s *Store) claimLead(ctx context.Context, id int64, step int, owner handoff.Owner, now time.Time, p handoff.Policy, actor string, once handoff.Delivery, welcome func(*handoff.Lead) []handoff.OutboxMessage) (*handoff.Lead, bool, error) {
	if err := checkClaim(owner, actor); err != nil {
		return nil, false, err
	}
	at := fromMs(ms(now)) // the precision the database keeps
	if s.claims != nil && !s.claimInTx {
		return s.claimInBatch(ctx, &claimItem{id: id, step: step, owner: owner, at: at, policy: p, actor: actor, once: once, hooks: s.hooks, welcome: welcome})
	}
	var lead *handoff.Lead
	won := false
	err := s.tx(ctx, func(tx *gorm.DB) error {
		lead, won = nil, false
		var row leadRow
		err := tx.Where("id = ?", id).Take(&row).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		claimed, err := row.toLead()
		if err != nil {
			return err
		}
		change, ok := claimed.Claim(owner, at, p, actor)
		if !ok {
			return nil
		}
		if seen, err := seenDeliveries(tx, []handoff.Delivery{once}); err != nil || seen[once] {
			return err // a delivery again of a click already handled
		}
		if welcome != nil {
			change.Outbox = append(change.Outbox, welcome(claimed)...)
		}
		// The routing step count must not have moved since the read (the
		// caller's, or else this one): an offer that moved on meanwhile is not
		// claimed by a click on the old one.
		seq := step
		if seq == anyStep {
			seq = row.OfferSeq
		}
		r := tx.Model(&leadRow{}).Where("id = ? AND stage = ? AND offer_seq = ? AND "+claimNotErased, id, handoff.StageSQL, seq).Updates(claimColumns(owner, at, p))
		if r.Error != nil {
			return r.Error
		}
		if r.RowsAffected == 0 {
			return nil // a concurrent claim won
		}
		lead, won = claimed, true
		// A claim by another than the rep the lead was offered to refunds
		// that offer (handoff.NewChange).
		if err := saveCredits(tx, change.Credits, at); err != nil {
			return err
		}
		// The lead before the claim and after: the claim adds its wait.
		if _, err := s.insertChangeEvents(tx, id, rowKeys(row), leadKeys(claimed), change.Events, at); err != nil {
			return err
		}
		if once.Key != "" {
			if err := recordDeliveries(tx, []processedEventRow{{Source: once.Source, Key: once.Key, CreatedMs: ms(at)}}); err != nil {
				return err
			}
		}
		return insertOutbox(tx, at, change.Outbox...)
	})
	if err != nil {
		return nil, false, fmt.Errorf("storage: claim lead %d: %w", id, err)
	}
	if won {
		s.queued(1)
		return lead, true, nil
	}
	if lead, err = s.Lead(ctx, id); err != nil {
		return nil, false, fmt.Errorf("storage: claim lead %d: %w", id, err)
	}
	return lead, false, nil
}

// claimInBatch claims in the claims committer's batch (claimJobs).
func (s *Store) claimInBatch(ctx context.Context, item *claimItem) (*handoff.Lead, bool, error) {
	if err := s.claims.claim(ctx, item); err != nil {
		return nil, false, fmt.Errorf("storage: claim lead %d: %w", item.id, err)
	}
	if item.won {
		s.queued(1)
		return item.lead, true, nil
	}
	lead, err := s.Lead(ctx, item.id)
	if err != nil {
		return nil, false, fmt.Errorf("storage: claim lead %d: %w", item.id, err)
	}
	return lead, false, nil
}

// claimNotErased is the claim's condition that the lead's personal data
// was not erased (Lead.Claim, TakeUpRefused), in each claim's UPDATE: an
// erasure that commits between a click's read and its write is not
// undone by a claim. It takes no parameter.
const claimNotErased = "erased_ms IS NULL"

// claimHandsOver is Lead.Claim's handOver in SQL, over the unclaimed SQL
// as it was before the claim, with the claim's time as its one parameter:
// nothing was recorded yet, someone held the lead (a rep an intake named)
// and its contact promise was settled by the claim (met, or its deadline
// passed). The promise then goes on counting for that rep (slaOwnerCol),
// in the claim's one UPDATE.
const claimHandsOver = "NOT sla_held AND (COALESCE(owner_platform, '') <> '' OR COALESCE(owner_user_id, '') <> ''" +
	" OR COALESCE(owner_email, '') <> '') AND (contacted_ms <= contact_due_ms OR contact_due_ms <= ?)"

// claimSetsSLA is the claim's armSLA (Lead.Claim, by EnterStages) in SQL,
// over the unclaimed SQL as it was: the claim sets a deadline the clock
// acts on when the lead has a reminder (the clock acts on it once the lead
// is claimed). It sets no other: the contact deadline stays as it was, and
// an SQL without one (its person erased) gets none back (heldAgain), so
// the claim's UPDATE leaves contact_due_ms alone. Its SLASetAt is then the
// claim's time, the one parameter of claimSetsSLAAt, or the contact
// deadline the claim leaves as it was when that fell due, on time (not
// before it was set: slaSetAt, falling back to updated_ms), before the
// claim without firing.
const (
	claimSetsSLA   = "next_remind_ms IS NOT NULL"
	claimSetsSLAAt = "CASE WHEN contact_escalated_ms IS NULL AND contact_due_ms < ?" +
		" AND contact_due_ms >= COALESCE(sla_set_ms, updated_ms) THEN contact_due_ms ELSE ? END"
)

// claimColumns is Lead.Claim under p written as the columns of one UPDATE
// of an unclaimed SQL, so that the database decides races.
// TestRulesWrittenTwiceAgree checks that both give the same lead. The
// claim is late past a claim deadline the clock does not excuse at its
// time (Lead.claimLate, claimExcusedSQL), judged on the row the UPDATE
// changes, not on the click's earlier read: a card shown or a deadline
// escalated in between counts. A deadline the clock excuses is stored as
// the clock held it at the claim (Lead.ClaimDueAtNow), p.ClaimDue(at):
// the excused deadline, ExcusedClaimDue(sqlAt, at), is the claim window
// counted from at whatever the SQL time (in business time too), so the
// one value serves every row, and the set's expressions read the row as
// it was, before the claim.
func claimColumns(owner handoff.Owner, at time.Time, p handoff.Policy) map[string]any {
	now := ms(at)
	holder := func(col string) clause.Expr {
		return gorm.Expr("CASE WHEN "+claimHandsOver+" THEN COALESCE(owner_"+col+", '') ELSE sla_holder_"+col+" END", now)
	}
	return map[string]any{
		"sla_held":            gorm.Expr("CASE WHEN "+claimHandsOver+" THEN ? ELSE sla_held END", now, true),
		"sla_holder_platform": holder("platform"),
		"sla_holder_user_id":  holder("user_id"),
		"sla_holder_email":    holder("email"),
		"stage":               handoff.StageClaimed,
		"stage_ms":            now,
		"reached":             gorm.Expr("CASE WHEN reached < ? THEN ? ELSE reached END", handoff.StageClaimed.Rank(), handoff.StageClaimed.Rank()),
		"owner_platform":      owner.Platform,
		"owner_user_id":       owner.UserID,
		"owner_email":         owner.Email,
		"claimed_ms":          now,
		"sla_breached":        gorm.Expr("CASE WHEN claim_due_ms IS NOT NULL AND claim_due_ms < ? AND NOT "+claimExcusedSQL+" THEN ? ELSE sla_breached END", now, p.ExcuseSystemDelay, true),
		"claim_due_ms":        gorm.Expr("CASE WHEN claim_due_ms <= ? AND "+claimExcusedSQL+" THEN ? ELSE claim_due_ms END", now, p.ExcuseSystemDelay, ms(p.ClaimDue(at))),
		"sla_set_ms":          gorm.Expr("CASE WHEN "+claimSetsSLA+" THEN "+claimSetsSLAAt+" ELSE sla_set_ms END", now, now),
		"updated_ms":          now,
		"offer_state":         gorm.Expr("CASE WHEN offer_state = '' THEN '' ELSE ? END", handoff.OfferClaimed),
		"offer_due_ms":        nil,
	}
}

// UpdateLead loads lead id under a row lock, lets fn change it, and writes
// the lead, fn's events and outbox messages in one transaction. When fn
// returns an error nothing is written and the error is returned as is.
func (s *Store) UpdateLead(ctx context.Context, id int64, now time.Time, fn func(l *handoff.Lead) (handoff.LeadChange, error)) (*handoff.Lead, error) {
	var lead *handoff.Lead
	queued := 0
	err := s.tx(ctx, func(tx *gorm.DB) error {
		row, l, err := lockLead(tx, id)
		if err != nil {
			return err
		}
		lead = l
		change, err := fn(lead)
		if err != nil {
			return err
		}
		queued = len(change.Outbox)
		_, err = s.writeLeadChange(tx, row, lead, change, now)
		return err
	})
	if err != nil {
		if handoff.ErrorCode(err) != handoff.EINTERNAL {
			return nil, err
		}
		return nil, fmt.Errorf("storage: update lead %d: %w", id, err)
	}
	s.queued(queued)
	return lead, nil
}

// writeLeadChange writes lead, read as row and changed at now, with
// change's events, outbox messages and balance changes (the refund of an
// offer the lead left the SQL stage without: handoff.NewChange) in tx, and
// keeps what follows from a lead's change up to date: the funnel's rollups
// and the routing of a Teams owner's leads. It returns the events as
// stored (their ids set). UpdateLead writes through it, and so do
// SaveActivities for a rescored lead, the merge of two records and
// RecordOutbox for a card's shown time (recordShown).
func (s *Store) writeLeadChange(tx *gorm.DB, row leadRow, lead *handoff.Lead, change handoff.LeadChange, now time.Time) ([]handoff.Event, error) {
	lead.UpdatedAt = now
	if err := updateLeadRow(tx, lead); err != nil {
		return nil, err
	}
	if err := saveCredits(tx, change.Credits, now); err != nil {
		return nil, err
	}
	if err := rollupLeadChange(tx, row, lead); err != nil {
		return nil, err
	}
	events, err := s.insertEvents(tx, row.ID, leadKeys(lead), change.Events, now)
	if err != nil {
		return nil, err
	}
	if err := refreshTeamsEmail(tx, row, lead); err != nil {
		return nil, err
	}
	return events, insertOutbox(tx, now, change.Outbox...)
}

// lockLead reads lead id under a row lock in tx, or returns ENOTFOUND.
func lockLead(tx *gorm.DB, id int64) (leadRow, *handoff.Lead, error) {
	var row leadRow
	err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return row, nil, notFound("lead %d not found", id)
	}
	if err != nil {
		return row, nil, err
	}
	lead, err := row.toLead()
	return row, lead, err
}
