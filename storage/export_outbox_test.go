package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/handoff/handoff"
	"gorm.io/gorm"
)

// ExplainTakeOutbox returns the database's plans for the reads of
// TakeOutbox (the due chat messages worker takes, serving platforms, at
// now) and of TakeWebhooks, batches of 20, made as take makes them
// (inIndexOrder), one line per plan step.
func (s *Store) ExplainTakeOutbox(ctx context.Context, now time.Time, worker string, platforms ...string) (chat, webhooks string, err error) {
	explain := func(scope func(*gorm.DB) *gorm.DB) (plan string, err error) {
		q := s.db.ToSQL(func(tx *gorm.DB) *gorm.DB {
			var ids []int64
			return dueOutbox(tx, now, 20, scope).Find(&ids)
		})
		err = inIndexOrder.alone(s.db.WithContext(ctx), func(tx *gorm.DB) (err error) {
			plan, err = explainIn(tx, q)
			return err
		})
		return plan, err
	}
	if chat, err = explain(s.chatTakenBy(worker, platforms, now)); err != nil {
		return "", "", err
	}
	webhooks, err = explain(webhookHeads)
	return chat, webhooks, err
}

// NextDueAsBefore is nextPending as it was before it read a bounded part
// of the outbox: the MIN, over every pending message of scope, of the
// later of its due time and its lease's end; scope the chat messages for
// platforms (NextOutboxDueFor of a worker that leaves none of them to
// another replica), or the webhooks' queue heads as queueHead
// kept them before (NextWebhookDue) when webhooks.
func (s *Store) NextDueAsBefore(ctx context.Context, webhooks bool, platforms ...string) (time.Time, bool, error) {
	scope := chatFor(platforms)
	if webhooks {
		scope = webhookHeadsAsBefore
	}
	var row struct{ Due *int64 }
	err := scope(s.db.WithContext(ctx).Model(&outboxRow{}).
		Select("MIN(CASE WHEN locked_until_ms > due_ms THEN locked_until_ms ELSE due_ms END) AS due").
		Where("status = ?", OutboxPending)).Scan(&row).Error
	if err != nil || row.Due == nil {
		return time.Time{}, false, err
	}
	return fromMs(*row.Due), true, nil
}

// webhookHeadsAsBefore is webhookHeads as it was, its NOT EXISTS
// correlated on kind and status too.
func webhookHeadsAsBefore(q *gorm.DB) *gorm.DB {
	return q.Where("kind = ?", handoff.OutboxWebhook).Where(`NOT EXISTS (SELECT 1 FROM outbox p WHERE p.kind = outbox.kind
		AND p.status = outbox.status AND p.lead_id = outbox.lead_id AND p.platform = outbox.platform AND p.id < outbox.id)`)
}

// DueWebhooksAsBefore returns the ids of the messages TakeWebhooks took
// at now, up to limit, before its read changed (webhookHeadsAsBefore),
// read as take reads them (inIndexOrder) but not leased.
func (s *Store) DueWebhooksAsBefore(ctx context.Context, now time.Time, limit int) ([]int64, error) {
	return s.dueWebhooks(ctx, now, limit, webhookHeadsAsBefore)
}

// DueWebhooks returns the ids of the messages TakeWebhooks takes at now,
// up to limit, read as take reads them (inIndexOrder) but not leased.
func (s *Store) DueWebhooks(ctx context.Context, now time.Time, limit int) ([]int64, error) {
	return s.dueWebhooks(ctx, now, limit, webhookHeads)
}

func (s *Store) dueWebhooks(ctx context.Context, now time.Time, limit int, scope func(*gorm.DB) *gorm.DB) (ids []int64, err error) {
	err = inIndexOrder.alone(s.db.WithContext(ctx), func(tx *gorm.DB) error {
		return dueOutbox(tx, now, limit, scope).Find(&ids).Error
	})
	return ids, err
}

// SetOutboxCountCap makes OutboxStats stop counting at n in place of
// handoff.OutboxCountCap (n > 0).
func (s *Store) SetOutboxCountCap(n int64) { s.countCap = n }

// PendingCount is OutboxStats' count of the pending messages alone, up
// to the store's cap, read as it reads it.
func (s *Store) PendingCount(ctx context.Context) (n int64, err error) {
	err = inIndexScan.alone(s.db.WithContext(ctx), func(tx *gorm.DB) error {
		return countUpTo(tx, pendingOutbox, s.statsCap()).Scan(&n).Error
	})
	return n, err
}

// OldestPending is OutboxStats' oldest alone, read as it reads it.
func (s *Store) OldestPending(ctx context.Context) (oldest *int64, err error) {
	err = inIndexOrder.alone(s.db.WithContext(ctx), func(tx *gorm.DB) error {
		return oldestPending(tx).Scan(&oldest).Error
	})
	return oldest, err
}

// OutboxStatsAsBefore is OutboxStats' pending count and oldest as they
// were read before: in one read of every pending message.
func (s *Store) OutboxStatsAsBefore(ctx context.Context) (pending int64, oldest time.Time, err error) {
	var row struct {
		Pending int64
		Oldest  *int64
	}
	err = s.db.WithContext(ctx).Model(&outboxRow{}).Select("COUNT(*) AS pending, MIN(COALESCE(requeued_ms, created_ms)) AS oldest").
		Where("status = ?", OutboxPending).Scan(&row).Error
	if row.Oldest != nil {
		oldest = fromMs(*row.Oldest)
	}
	return row.Pending, oldest, err
}

// outboxReads are the outbox's reads that read a bounded part of it at a
// large backlog, by name, as SQL with their values written in:
// NextOutboxDueFor's for worker serving platforms at now, NextWebhookDue's,
// TakeWebhooks' at now (a batch of 20) and OutboxStats' oldest and counts
// (up to the store's cap).
func (s *Store) outboxReads(now time.Time, worker string, platforms []string) map[string]string {
	var rows []map[string]any
	var ids []int64
	return map[string]string{
		"next chat": s.db.ToSQL(func(tx *gorm.DB) *gorm.DB {
			// The record's end as PostgreSQL reads it, in the statement
			// (SQLite reads it alone, from outbox_servers).
			scope, ends := s.nextChat(worker, platforms, now)
			var end *gorm.DB
			if ends != nil {
				end = ends(tx.Session(&gorm.Session{NewDB: true}))
			}
			return nextPendingQuery(tx, scope, end).Find(&rows)
		}),
		"next webhook": s.db.ToSQL(func(tx *gorm.DB) *gorm.DB {
			return nextPendingQuery(tx, webhookHeads, nil).Find(&rows)
		}),
		"take webhooks": s.db.ToSQL(func(tx *gorm.DB) *gorm.DB { return dueOutbox(tx, now, 20, webhookHeads).Find(&ids) }),
		"oldest":        s.db.ToSQL(func(tx *gorm.DB) *gorm.DB { return oldestPending(tx).Find(&rows) }),
		"pending count": s.db.ToSQL(func(tx *gorm.DB) *gorm.DB { return countUpTo(tx, pendingOutbox, s.statsCap()).Find(&rows) }),
		"dead count":    s.db.ToSQL(func(tx *gorm.DB) *gorm.DB { return countUpTo(tx, deadOutbox, s.statsCap()).Find(&rows) }),
	}
}

// outboxReadRuns are the planner's settings each of the outboxReads runs
// with, as the store runs it.
var outboxReadRuns = map[string]plannerOff{
	"next chat": inIndexRange, "next webhook": inIndexRange, "take webhooks": inIndexOrder, "oldest": inIndexOrder,
	"pending count": inIndexScan, "dead count": inIndexScan,
}

// ExplainOutboxReads returns the database's plan for each of the
// outboxReads (worker's at now), made as the store makes it
// (outboxReadRuns), one line per plan step.
func (s *Store) ExplainOutboxReads(ctx context.Context, now time.Time, worker string, platforms ...string) (map[string]string, error) {
	plans := map[string]string{}
	for name, q := range s.outboxReads(now, worker, platforms) {
		err := outboxReadRuns[name].alone(s.db.WithContext(ctx), func(tx *gorm.DB) (err error) {
			plans[name], err = explainIn(tx, q)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", name, q, err)
		}
	}
	return plans, nil
}

// SQLiteOutboxProgram returns the opcodes of SQLite's program (EXPLAIN)
// for the outboxReads named name, in their order.
func (s *Store) SQLiteOutboxProgram(ctx context.Context, name string) ([]string, error) {
	q := s.outboxReads(time.Time{}, "", nil)[name]
	rows, err := s.db.WithContext(ctx).Raw("EXPLAIN " + q).Rows()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var ops []string
	for rows.Next() {
		vals, err := ScanValues(rows, len(cols))
		if err != nil {
			return nil, err
		}
		ops = append(ops, fmt.Sprintf("%s", vals[1])) // addr, opcode, p1…
	}
	return ops, rows.Err()
}

// PGOutboxRowsRead runs each of the outboxReads (worker's at now) on
// PostgreSQL under EXPLAIN (ANALYZE, FORMAT JSON), made as the store makes
// it (outboxReadRuns), in a transaction of its own, and returns how many
// rows of outbox each read: the rows its scans of outbox returned and
// those their conditions removed, over all their loops.
func (s *Store) PGOutboxRowsRead(ctx context.Context, now time.Time, worker string, platforms ...string) (map[string]int64, error) {
	read := map[string]int64{}
	for name, q := range s.outboxReads(now, worker, platforms) {
		var js string
		err := outboxReadRuns[name].alone(s.db.WithContext(ctx), func(tx *gorm.DB) error {
			return tx.Raw("EXPLAIN (ANALYZE, FORMAT JSON) " + q).Row().Scan(&js)
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		var plans []struct{ Plan pgPlanNode }
		if err := json.Unmarshal([]byte(js), &plans); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		for _, p := range plans {
			read[name] += p.Plan.outboxRowsRead()
		}
	}
	return read, nil
}

// pgPlanNode is a step of a PostgreSQL plan in EXPLAIN's JSON.
type pgPlanNode struct {
	Node           string       `json:"Node Type"`
	Index          string       `json:"Index Name"`
	Relation       string       `json:"Relation Name"`
	Rows           float64      `json:"Actual Rows"`
	Loops          float64      `json:"Actual Loops"`
	RemovedByCond  float64      `json:"Rows Removed by Filter"`
	RemovedRecheck float64      `json:"Rows Removed by Index Recheck"`
	Plans          []pgPlanNode `json:"Plans"`
}

// outboxRowsRead is the rows of outbox that n and the steps under it read,
// counting as read the entries a bitmap scan of one of outbox's indexes
// (idx_outbox_…, outbox_pkey) returned: the bitmap holds every entry the
// index scan found, however few rows the heap scan above it returns.
func (n pgPlanNode) outboxRowsRead() int64 {
	var read int64
	outboxIndex := strings.HasPrefix(n.Index, "idx_outbox_") || n.Index == "outbox_pkey"
	if n.Relation == "outbox" || n.Node == "Bitmap Index Scan" && outboxIndex {
		read = int64((n.Rows + n.RemovedByCond + n.RemovedRecheck) * n.Loops)
	}
	for _, c := range n.Plans {
		read += c.outboxRowsRead()
	}
	return read
}
