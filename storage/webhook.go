package storage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/handoff/handoff"
	"gorm.io/gorm"
)

// RouteWebhooks sets which events are queued for which webhook endpoint.
// Call it once, before the store is used; with no routes no webhook
// message is ever queued.
func (s *Store) RouteWebhooks(routes []handoff.WebhookRoute) { s.hooks = routes }

// webhookMessages returns the outbox messages that tell the routed
// endpoints about a lead's new events, in event order.
func webhookMessages(routes []handoff.WebhookRoute, leadID int64, events []handoff.Event, now time.Time) ([]outboxRow, error) {
	if len(routes) == 0 {
		return nil, nil
	}
	var out []outboxRow
	for _, e := range events {
		ev, ok := handoff.WebhookEventOf(e)
		if !ok {
			continue
		}
		for _, r := range routes {
			if !r.Wants(ev) {
				continue
			}
			var id [16]byte
			_, _ = rand.Read(id[:])
			payload, err := json.Marshal(handoff.WebhookNotice{ID: "msg_" + hex.EncodeToString(id[:]), Type: ev, At: e.At,
				Actor: e.Actor, Stage: e.Stage, Details: e.Details})
			if err != nil {
				return nil, fmt.Errorf("webhook payload: %w", err)
			}
			out = append(out, outboxRow{Kind: handoff.OutboxWebhook, LeadID: leadID, Platform: r.Key, Payload: string(payload),
				Status: OutboxPending, DueMs: ms(now), CreatedMs: ms(now)})
		}
	}
	return out, nil
}

// queueHead keeps, of the pending webhook messages, only the first of each
// lead and endpoint: a lead's events reach an endpoint in order. It looks
// the first up in idx_outbox_webhook_queue, an index of the webhook
// messages alone (kind written out, so that the planners know it serves),
// by lead, endpoint and status, once for each message it keeps or not: a
// correlated MIN, which PostgreSQL runs as a lookup of each message's
// lead and endpoint whatever its statistics. The NOT EXISTS over the
// earlier messages it replaces was planned, on no statistics, as a bitmap
// AND of the lead's messages with every pending message, chat ones
// included, for each webhook, and, given the webhooks' indexes, as an
// anti join reading every pending webhook for each (BENCHMARKS.md, "The
// outbox draining a large backlog"). A message none matches (a NULL lead
// or endpoint) is the first of its queue, as it was.
const queueHead = `outbox.id <= COALESCE((SELECT MIN(p.id) FROM outbox p WHERE p.kind = '` + handoff.OutboxWebhook + `'
	AND p.lead_id = outbox.lead_id AND p.platform = outbox.platform AND p.status = outbox.status), outbox.id)`

// webhookMessage is the condition on a webhook message, its kind written
// out, so that the planners know a read with it may use the indexes of
// the webhook messages alone (idx_outbox_webhook_due,
// idx_outbox_webhook_queue) and need not read the chat messages' entries
// of idx_outbox_status_due_id.
const webhookMessage = "kind = '" + handoff.OutboxWebhook + "'"

// webhookHeads keeps the webhook messages that are the first pending
// message of their lead and endpoint (queueHead).
func webhookHeads(q *gorm.DB) *gorm.DB {
	return q.Where(webhookMessage).Where(queueHead)
}

// TakeWebhooks leases up to limit due webhook messages, each the oldest
// pending message of its lead and endpoint, as TakeOutbox does for chat.
func (s *Store) TakeWebhooks(ctx context.Context, now time.Time, limit int, lease time.Duration, worker string) ([]handoff.OutboxMessage, error) {
	msgs, err := s.take(ctx, now, limit, lease, worker, webhookHeads)
	if err != nil {
		return nil, fmt.Errorf("storage: take webhooks: %w", err)
	}
	return msgs, nil
}

// NextWebhookDue returns when the first webhook message that may be sent
// next becomes due (or its lease ends), and false when there is none.
func (s *Store) NextWebhookDue(ctx context.Context) (time.Time, bool, error) {
	at, ok, err := s.nextPending(ctx, webhookHeads, nil)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("storage: next webhook due: %w", err)
	}
	return at, ok, nil
}

func (r outboxRow) message() handoff.OutboxMessage {
	return handoff.OutboxMessage{ID: r.ID, Kind: r.Kind, LeadID: r.LeadID, Platform: r.Platform, Payload: r.Payload,
		Due: fromMs(r.DueMs), Attempts: r.Attempts, Created: fromMs(r.CreatedMs), Requeued: fromMsOrZero(r.RequeuedMs),
		LeasedBy: r.LockedBy, Status: r.Status, LastError: r.LastError, RefusedBy: r.RefusedBy, FailingSince: fromMsOrZero(r.FailingSinceMs)}
}

// deadErrorWithoutErasedID sets, in values, the error of a dead webhook
// message without the erased lead's former id its payload carries (a
// lead.erased message, see tellErasedID), should the endpoint's answer
// have repeated it. The payload keeps the id, so that the message retried
// (`handoff outbox retry`) tells it as its first delivery would have; it
// leaves the outbox when the message is delivered, or dropped.
func deadErrorWithoutErasedID(payload string, values map[string]any) {
	var n handoff.WebhookNotice
	if json.Unmarshal([]byte(payload), &n) != nil {
		return
	}
	id := n.ErasedID()
	if cause, _ := values["last_error"].(string); id != "" && strings.Contains(cause, id) {
		values["last_error"] = "erased: the error named the person"
	}
}
