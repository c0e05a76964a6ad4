package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/handoff/handoff"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// keptEventDetails are the event detail keys that hold no personal data and
// survive an erasure.
var keptEventDetails = handoff.KeptAfterErasure

// keptRoutedDetails are the further detail keys of a routed event that
// survive an erasure: the routing step (the decision, the reps offered and
// ended, how the offer ended, the offer state) is about the reps, not the
// person, and the routing rollup is rebuilt from it. The pass "reason",
// free text, goes.
var keptRoutedDetails = map[string]bool{"decision": true, "offered": true, "ended": true, "ending": true, "state": true}

// keptDetail reports whether an erasure keeps detail key of an event of
// that kind.
func keptDetail(kind handoff.EventKind, key string) bool {
	return keptEventDetails(key) || kind == handoff.EventRouted && keptRoutedDetails[key]
}

// ForgetLead erases the personal data of the lead with that external id
// (name, email, phone, company, title, reason, attributes, and free text in
// its events) and replaces the external id with an anonymous one, keeping
// the stage history so the funnel still adds up. Queued chat messages that
// carry the data are dropped and sent ones keep no copy (see
// scrubOutbox); every chat message that showed the lead is queued for an
// update to the erased view. Its SLA clock stops under policy, the
// agreement in force (Lead.StopSLAOnErasure: with
// sla.excuse_system_delay a card never shown excuses a claim deadline
// passed). It returns ENOTFOUND for an unknown lead and for one already
// erased (by another erasure that committed first, say).
//
// The policy is a parameter, as it is to SaveLead and FireSLA, rather than
// a field of the store: the agreement is read once at start (no reload),
// and every entry point (the API, the CLI, the scheduler's purge, a CRM's
// erasure) already holds the one its replica runs under, so the erasure
// judges a deadline as that replica's clock does.
func (s *Store) ForgetLead(ctx context.Context, externalID string, policy handoff.Policy, now time.Time) error {
	return s.ForgetLeadAs(ctx, externalID, policy, now, handoff.ActorSystem)
}

// ForgetLeadAs is ForgetLead recording actor (an API token's name, say) as
// who erased the lead.
func (s *Store) ForgetLeadAs(ctx context.Context, externalID string, policy handoff.Policy, now time.Time, actor string) error {
	lead, err := s.LeadByExternalID(ctx, externalID)
	if err != nil {
		return err
	}
	n, err := s.forget(ctx, []int64{lead.ID}, policy, now, actor)
	if err != nil {
		return fmt.Errorf("storage: forget lead %d: %w", lead.ID, err)
	}
	if n == 0 {
		return notFound("lead %q not found", externalID)
	}
	return nil
}

// ForgetEmail erases every lead with that email address, as ForgetLead does,
// and returns how many it erased (not those another erasure erased first).
func (s *Store) ForgetEmail(ctx context.Context, email string, policy handoff.Policy, now time.Time) (int, error) {
	var ids []int64
	if err := s.db.WithContext(ctx).Model(&leadRow{}).Where("email = ?", strings.ToLower(strings.TrimSpace(email))).Pluck("id", &ids).Error; err != nil {
		return 0, fmt.Errorf("storage: forget %s: %w", "email", err)
	}
	n, err := s.forget(ctx, ids, policy, now, handoff.ActorSystem)
	if err != nil {
		return 0, fmt.Errorf("storage: forget by email: %w", err)
	}
	return n, nil
}

// PurgeExpired erases the personal data of leads unchanged since before
// cutoff (the retention period), as ForgetLead does under policy, and
// returns how many it erased.
func (s *Store) PurgeExpired(ctx context.Context, cutoff time.Time, policy handoff.Policy, now time.Time) (int, error) {
	total := 0
	for {
		var ids []int64
		err := s.db.WithContext(ctx).Model(&leadRow{}).
			Where("updated_ms < ? AND erased_ms IS NULL", ms(cutoff)).Order("id").Limit(500).Pluck("id", &ids).Error
		if err != nil {
			return total, fmt.Errorf("storage: purge: %w", err)
		}
		if len(ids) == 0 {
			return total, nil
		}
		n, err := s.forget(ctx, ids, policy, now, handoff.ActorSystem)
		if err != nil {
			return total, fmt.Errorf("storage: purge: %w", err)
		}
		total += n
		if n == 0 {
			return total, nil
		}
	}
}

func (s *Store) forget(ctx context.Context, ids []int64, policy handoff.Policy, now time.Time, actor string) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	erased, queued := 0, 0
	err := s.write.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var refunds map[string]int64 // of the offers the erasure ended
		key, err := eraseKey(tx, true)
		if err != nil {
			return err
		}
		if err := lockCRMVersionsToForget(tx, ids); err != nil {
			return err
		}
		rows, err := lockLeadsToForget(tx, ids)
		if err != nil {
			return err
		}
		for _, r := range rows {
			columns := map[string]any{
				"external_id": fmt.Sprintf("%s%d", handoff.ErasedIDPrefix, r.ID),
				"email":       "", "name": "", "phone": "", "company": "", "title": "", "reason": "", "attributes": "", "score_reasons": "", "next_decay_ms": nil,
				"offer_tried": withoutPassReasons(r.OfferTried),
				"erased_ms":   ms(now), "updated_ms": ms(now), "erased_key": erasedHash(key, "lead", r.ExternalID),
				"next_remind_ms": nil,
				// A parked lead's cause is an error's text, which can name
				// the lead by its id (an email, often); it stays parked.
				"parked_error": "",
			}
			// The SLA clock stops (Lead.StopSLAOnErasure, under policy as
			// the clock's tick judges it): the funnel's rollup follows the
			// deadlines it releases, and a deadline passed unescalated is
			// breached without an escalation. An
			// SQL's routing ends (Lead.EndOfferOnErasure), its offer's
			// credits refunded. A row that does not decode is erased all
			// the same, without its reminders.
			keys := rowKeys(r)
			if timed, err := r.toLead(); err == nil {
				timed.StopSLAOnErasure(now, policy)
				columns["claim_due_ms"], columns["contact_due_ms"] = msPtr(timed.ClaimDueAt), msPtr(timed.ContactDueAt)
				columns["claim_escalated_ms"], columns["contact_escalated_ms"] = msPtr(timed.ClaimEscalatedAt), msPtr(timed.ContactEscalatedAt)
				columns["sla_breached"] = timed.SLABreached
				offer, refund := endOfferOnErasure(timed)
				maps.Copy(columns, offer)
				refunds = sumCredits(refunds, refund)
				keys = leadKeys(timed)
			}
			if err := tx.Model(&leadRow{}).Where("id = ?", r.ID).Updates(columns).Error; err != nil {
				return err
			}
			if err := eraseCRMVersions(tx, key, r.ID, r.ExternalID); err != nil {
				return err
			}
			var events []eventRow
			if err := tx.Where("lead_id = ? AND details <> ''", r.ID).Find(&events).Error; err != nil {
				return err
			}
			for _, e := range events {
				ev, err := e.toEvent()
				if errors.Is(err, handoff.ErrCorrupt) {
					// Details that cannot be read cannot be sorted either:
					// they are erased whole, and the purge goes on.
					ev = handoff.Event{}
				} else if err != nil {
					return err
				}
				kept := map[string]string{}
				for k, v := range ev.Details {
					if keptDetail(ev.Kind, k) {
						kept[k] = v
					}
				}
				row, err := newEventRow(r.ID, handoff.Event{Details: kept})
				if err != nil {
					return err
				}
				if err := tx.Model(&eventRow{}).Where("id = ?", e.ID).Update("details", row.Details).Error; err != nil {
					return err
				}
			}
			if err := refreshRoutingRollup(tx, []int64{r.ID}); err != nil {
				return err
			}
			// What the person did on the website goes too.
			if err := tx.Where("lead_id = ?", r.ID).Delete(&activityRow{}).Error; err != nil {
				return err
			}
			// Every chat message that showed a posted lead is updated to
			// the erased view.
			lead := &handoff.Lead{ID: r.ID, SQLAt: fromMsPtr(r.SQLMs)}
			change := handoff.NewChange(lead, []handoff.Event{{Kind: handoff.EventErased, Stage: handoff.Stage(r.Stage), At: now, Actor: actor}})
			if _, err := s.insertChangeEvents(tx, r.ID, rowKeys(r), keys, change.Events, now); err != nil {
				return err
			}
			if err := scrubOutbox(tx, r, now); err != nil {
				return err
			}
			if err := scrubWebhooks(tx, r); err != nil {
				return err
			}
			if err := tellErasedID(tx, r); err != nil {
				return err
			}
			if err := insertOutbox(tx, now, change.Outbox...); err != nil {
				return err
			}
			queued += len(change.Outbox)
			erased++
		}
		// One write of the balances, in the order of their keys (as a
		// batch of claims writes its refunds): never a rep's row between
		// two leads' in an order a routing step could hold the other way.
		return saveCredits(tx, refunds, now)
	})
	if err == nil {
		s.queued(queued)
	}
	return erased, err
}

// endOfferOnErasure ends the routing of erased lead l as its erasure does
// (handoff.Lead.EndOfferOnErasure) and returns the offer columns to write,
// none for a lead never routed, and the change to the reps' balances: the
// refund of a running offer's credits, nil for none. The erasure and the
// migration of the SQLs erased before it ended their routing
// (migrateErasedOffers) both write these.
func endOfferOnErasure(l *handoff.Lead) (map[string]any, map[string]int64) {
	refund := l.EndOfferOnErasure()
	if l.Offer == nil {
		return nil, nil
	}
	return map[string]any{"offer_state": string(l.Offer.State), "offer_due_ms": nil}, refund
}

// withoutPassReasons is a lead's offer_tried (the reps its offer went to
// and how each ended) without the reps' reasons to pass, free text that
// may name the person; what cannot be read goes whole.
func withoutPassReasons(tried string) string {
	var reps []handoff.TriedOffer
	if tried == "" || json.Unmarshal([]byte(tried), &reps) != nil {
		return ""
	}
	for i := range reps {
		reps[i].Reason = ""
	}
	b, err := json.Marshal(reps)
	if err != nil {
		return ""
	}
	return string(b)
}

// lockLeadsToForget reads the leads of ids not yet erased in the order of
// their ids and, on PostgreSQL, locks them (FOR UPDATE) in that order, as a
// batch of claims and intake do (lockLeadRowsByID), so that an erasure
// never waits for them in the opposite order (one array, planned at each
// execution: leadsOfIDs). SQLite takes no row locks; the order only sorts
// the rows. A lead erased since the ids were chosen (another erasure that
// committed first, which PostgreSQL's FOR UPDATE waits for and then reads
// as erased) is left out: erasing it again would keep the hash of its
// anonymous id instead of its original one (erased_key), and count it twice.
func lockLeadsToForget(tx *gorm.DB, ids []int64) ([]leadRow, error) {
	var rows []leadRow
	cond, arg := leadsOfIDs.in(tx.Dialector.Name(), ids)
	err := planEach(tx).Clauses(clause.Locking{Strength: "UPDATE"}).Where(cond, arg).Where("erased_ms IS NULL").Order("id").Find(&rows).Error
	return rows, err
}

// lockCRMVersionsToForget locks, on PostgreSQL, the crm_versions rows of
// the records of the leads of ids (FOR UPDATE, in the order of their ids)
// before the erasure locks the leads: a CRM's versioned save
// (SaveLeadVersion) locks its record's row and then the lead, so an
// erasure that locked the lead and then renamed the row
// (eraseCRMVersions) could wait for the save while it waits for the lead
// (a deadlock PostgreSQL breaks after deadlock_timeout). The rows of the
// records merged into theirs (linkMerged) are locked after them, as
// foldMerged locks them after the survivor's. SQLite takes no row locks.
func lockCRMVersionsToForget(tx *gorm.DB, ids []int64) error {
	if tx.Dialector.Name() != DialectPostgres {
		return nil
	}
	cond, arg := leadsOfIDs.in(DialectPostgres, ids)
	var locked []int64
	if err := planEach(tx).Model(&crmVersionRow{}).Clauses(clause.Locking{Strength: "UPDATE"}).
		Where("external_id IN (?)", tx.Session(&gorm.Session{NewDB: true}).Model(&leadRow{}).Select("external_id").Where(cond, arg)).
		Order("id").Pluck("id", &locked).Error; err != nil {
		return err
	}
	return planEach(tx).Model(&crmVersionRow{}).Clauses(clause.Locking{Strength: "UPDATE"}).
		Where("merged_lead_id IN (?)", tx.Session(&gorm.Session{NewDB: true}).Model(&leadRow{}).Select("id").Where(cond, arg)).
		Order("id").Pluck("id", &locked).Error
}

// renderedAtSend are the outbox kinds the store itself queues: their
// payloads hold no personal data, since their messages are rendered from
// the lead when they are sent. Every other kind carries a rendered message.
// Webhook messages (their own lane, delivered to the CRM's endpoints in
// order per lead) are left to that lane.
var renderedAtSend = []string{handoff.OutboxAnnounceLead, handoff.OutboxRefreshLead, handoff.OutboxEraseLead, handoff.OutboxRemind, handoff.OutboxEscalate, handoff.OutboxDigest, handoff.OutboxWebhook, handoff.OutboxRepDeactivated, handoff.OutboxNotesOfLead, handoff.OutboxEarlierCard}

// scrubOutbox removes lead r's personal data from the outbox: messages
// that carry a rendered message about it (those of the lead, and those of
// no lead whose payload names its name, email, phone or company as a
// whole word, such as a lead list) are dropped when not yet sent and lose
// their payload when sent. A message of another lead is about that lead
// and is kept, and so is one of no lead that holds the person's data only
// inside a longer word (a name "Ann" in "Annual plan"): an erasure drops
// no one else's notice. A payload is read as plainText, since a rendered message writes the
// person's data in chat markup (an email's _ as &#95;, a company's & as
// &amp;) inside JSON. Sent messages keep no payload, so what is read is
// the queue and the dead messages.
func scrubOutbox(tx *gorm.DB, r leadRow, now time.Time) error {
	var rows []struct {
		ID      int64
		LeadID  int64
		Payload string
	}
	err := tx.Model(&outboxRow{}).Select("id", "lead_id", "payload").Where("kind NOT IN ?", renderedAtSend).
		Where("lead_id = ? OR (lead_id = 0 AND payload <> '')", r.ID).Find(&rows).Error
	if err != nil {
		return err
	}
	person := personalTexts(r)
	var ids []int64
	for _, row := range rows {
		if row.LeadID == r.ID || namesAny(row.Payload, person) {
			ids = append(ids, row.ID)
		}
	}
	for len(ids) > 0 {
		batch := ids[:min(len(ids), 500)]
		ids = ids[len(batch):]
		cond, arg := outboxOfIDs.in(tx.Dialector.Name(), batch)
		if err := tx.Model(&outboxRow{}).Where(cond, arg).Where("status <> ?", OutboxDone).Updates(map[string]any{
			"status": OutboxDone, "result": "dropped: personal data erased", "payload": "", "last_error": "",
			"done_ms": ms(now), "locked_until_ms": 0,
		}).Error; err != nil {
			return err
		}
		if err := tx.Model(&outboxRow{}).Where(cond, arg).Where("payload <> ''").Update("payload", "").Error; err != nil {
			return err
		}
	}
	return nil
}

// scrubWebhooks removes lead r's personal data from its webhook messages,
// which tell events as they happened: each keeps only the event details an
// erasure keeps in the lead's events (keptEventDetails), so a message still
// due tells its event without the free text (a reason, a note), and a dead
// one keeps no error text that names the person (an endpoint's answer may
// repeat what it was sent). Sent messages kept no payload.
func scrubWebhooks(tx *gorm.DB, r leadRow) error {
	var rows []outboxRow
	if err := tx.Where("kind = ? AND lead_id = ? AND payload <> ''", handoff.OutboxWebhook, r.ID).Find(&rows).Error; err != nil {
		return err
	}
	person := personalTexts(r)
	for _, row := range rows {
		var n handoff.WebhookNotice
		payload := ""
		if err := json.Unmarshal([]byte(row.Payload), &n); err == nil {
			b, err := json.Marshal(n.Erased())
			if err != nil {
				return fmt.Errorf("webhook payload: %w", err)
			}
			payload = string(b)
		} // a payload that cannot be read cannot be sorted either: it goes whole
		values := map[string]any{"payload": payload}
		if containsAny(row.LastError, person) {
			values["last_error"] = "erased: the error named the person"
		}
		if err := tx.Model(&outboxRow{}).Where("id = ?", row.ID).Updates(values).Error; err != nil {
			return err
		}
	}
	return nil
}

// tellErasedID writes the external id lead r had (handoff.ErasedIDDetail)
// into the lead.erased webhook messages its erasure queued, so that an
// endpoint that knows the person by that id (a CRM's record id) can erase
// them too; not an id that is an email address (handoff.IsEmailID). The
// id leaves the outbox with the message's payload when it is sent (a dead
// message keeps it for a retry, and loses it when dropped).
func tellErasedID(tx *gorm.DB, r leadRow) error {
	if handoff.IsEmailID(r.ExternalID) {
		return nil
	}
	var rows []outboxRow
	if err := tx.Where("kind = ? AND lead_id = ? AND status = ? AND payload <> ''", handoff.OutboxWebhook, r.ID, OutboxPending).Find(&rows).Error; err != nil {
		return err
	}
	for _, row := range rows {
		var n handoff.WebhookNotice
		if err := json.Unmarshal([]byte(row.Payload), &n); err != nil || n.Type != handoff.WebhookErased {
			continue
		}
		n.Details = maps.Clone(n.Details)
		if n.Details == nil {
			n.Details = map[string]string{}
		}
		n.Details[handoff.ErasedIDDetail] = r.ExternalID
		b, err := json.Marshal(n)
		if err != nil {
			return fmt.Errorf("webhook payload: %w", err)
		}
		if err := tx.Model(&outboxRow{}).Where("id = ?", row.ID).Update("payload", string(b)).Error; err != nil {
			return err
		}
	}
	return nil
}

// personalTexts are lead r's name, email, phone and company, those long
// enough to tell the person from other text (see scrubOutbox), lower-cased.
func personalTexts(r leadRow) []string {
	var out []string
	for _, s := range []string{r.Name, r.Email, r.Phone, r.Company} {
		if len([]rune(s)) >= 3 {
			out = append(out, strings.ToLower(s))
		}
	}
	return out
}

// containsAny reports whether text, read as plainText, holds any of
// person (lower-cased, as personalTexts gives them).
func containsAny(text string, person []string) bool {
	if text == "" {
		return false
	}
	text = plainText(text)
	for _, p := range person {
		if strings.Contains(text, p) {
			return true
		}
	}
	return false
}

// namesAny reports whether text, read as plainText, holds any of person
// (lower-cased, as personalTexts gives them) as a whole: neither preceded
// nor followed by a letter or digit, so that "ann" is named in "Ann
// Berg's offer" and "*Ann*" but not in "Annual plan" or "Joann".
func namesAny(text string, person []string) bool {
	if text == "" {
		return false
	}
	text = plainText(text)
	for _, p := range person {
		for from := 0; from < len(text); {
			k := strings.Index(text[from:], p)
			if k < 0 {
				break
			}
			k += from
			before, _ := utf8.DecodeLastRuneInString(text[:k])
			after, _ := utf8.DecodeRuneInString(text[k+len(p):])
			if !inWord(before) && !inWord(after) {
				return true
			}
			from = k + 1
		}
	}
	return false
}

// inWord reports whether r is a letter or a digit.
func inWord(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
