package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/handoff/handoff"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// dueSLAWhere selects leads on which the SLA clock has something to do at ?.
const dueSLAWhere = `(stage = 'sql' AND claim_escalated_ms IS NULL AND claim_due_ms <= @now)
	OR (stage IN ('sql', 'claimed') AND contact_escalated_ms IS NULL AND contact_due_ms <= @now)
	OR (stage = 'claimed' AND next_remind_ms <= @now)`

// NextSLADue returns the earliest SLA deadline or reminder still to act on,
// and false when none is pending. The scheduler sleeps until then.
func (s *Store) NextSLADue(ctx context.Context) (time.Time, bool, error) {
	var next struct{ Due *int64 }
	err := s.db.WithContext(ctx).Raw(`SELECT MIN(due) AS due FROM (
		SELECT MIN(claim_due_ms) AS due FROM leads WHERE stage = 'sql' AND claim_escalated_ms IS NULL
		UNION ALL SELECT MIN(contact_due_ms) FROM leads WHERE stage IN ('sql', 'claimed') AND contact_escalated_ms IS NULL
		UNION ALL SELECT MIN(next_remind_ms) FROM leads WHERE stage = 'claimed'
	) d`).Scan(&next).Error
	if err != nil {
		return time.Time{}, false, fmt.Errorf("storage: next SLA due: %w", err)
	}
	if next.Due == nil {
		return time.Time{}, false, nil
	}
	return fromMs(*next.Due), true, nil
}

// FireSLA ticks the SLA clock of up to limit due leads at now: it records
// breaches, reminders and releases as events, queues the reminder and
// escalation messages, and marks what fired, all in one transaction, so a
// reminder or escalation is queued exactly once even across restarts and
// replicas. It returns the actions taken.
func (s *Store) FireSLA(ctx context.Context, now time.Time, policy handoff.Policy, limit int) ([]handoff.SLAAction, error) {
	var fired []handoff.SLAAction
	err := s.write.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		q := tx.Where(dueSLAWhere, map[string]any{"now": ms(now)}).Order("id").Limit(limit)
		if s.dialect == DialectPostgres {
			q = q.Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"})
		}
		var rows []leadRow
		if err := q.Find(&rows).Error; err != nil {
			return err
		}
		for _, row := range rows {
			lead, err := row.toLead()
			if err != nil {
				return err
			}
			stage := lead.Stage
			actions := lead.TickSLA(now, policy)
			if len(actions) == 0 {
				continue
			}
			lead.UpdatedAt = now
			if err := updateLeadRow(tx, lead); err != nil {
				return err
			}
			var events []handoff.Event
			var outbox []handoff.OutboxMessage
			refresh := false
			for _, a := range actions {
				ev, msg, err := slaRecord(lead, stage, a, now)
				if err != nil {
					return err
				}
				events = append(events, ev)
				if msg.Kind == handoff.OutboxRefreshLead {
					refresh = true
					continue
				}
				outbox = append(outbox, msg)
				refresh = refresh || msg.Kind == handoff.OutboxEscalate
			}
			if refresh {
				// The channel card shows the breach (or the release) too.
				outbox = append(outbox, handoff.OutboxMessage{Kind: handoff.OutboxRefreshLead, LeadID: lead.ID})
			}
			if _, err := insertEvents(tx, lead.ID, events); err != nil {
				return err
			}
			if err := insertOutbox(tx, now, outbox...); err != nil {
				return err
			}
			fired = append(fired, actions...)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("storage: fire SLA timers: %w", err)
	}
	return fired, nil
}

// slaRecord turns one SLA action into its event and outbox message.
func slaRecord(lead *handoff.Lead, stage handoff.Stage, a handoff.SLAAction, now time.Time) (handoff.Event, handoff.OutboxMessage, error) {
	late := now.Sub(a.Due).Round(time.Second)
	details := map[string]string{"due": a.Due.UTC().Format(time.RFC3339)}
	if a.Owner.UserID != "" || a.Owner.Email != "" {
		details["owner"] = a.Owner.Platform + ":" + a.Owner.UserID
	}
	ev := handoff.Event{LeadID: lead.ID, Stage: stage, At: now, Actor: handoff.ActorSystem, Details: details}
	msg := handoff.OutboxMessage{LeadID: lead.ID}
	switch a.Kind {
	case handoff.SLARemind:
		ev.Kind = handoff.EventReminder
		msg.Kind, msg.Platform = handoff.OutboxRemind, a.Owner.Platform
	case handoff.SLAEscalateClaim, handoff.SLAEscalateContact:
		ev.Kind = handoff.EventBreach
		details["deadline"] = map[handoff.SLAActionKind]string{handoff.SLAEscalateClaim: "claim", handoff.SLAEscalateContact: "contact"}[a.Kind]
		details["late"] = late.String()
		msg.Kind = handoff.OutboxEscalate
	case handoff.SLARelease:
		ev.Kind, ev.Stage = handoff.EventRelease, handoff.StageSQL
		details["reason"] = "contact deadline missed"
		msg.Kind = handoff.OutboxRefreshLead
		return ev, msg, nil
	default:
		return ev, msg, fmt.Errorf("unknown SLA action %q", a.Kind)
	}
	payload, err := json.Marshal(handoff.SLANotice{Action: a.Kind, Due: a.Due.UTC(), At: now.UTC(), Owner: a.Owner})
	if err != nil {
		return ev, msg, err
	}
	msg.Payload = string(payload)
	return ev, msg, nil
}
