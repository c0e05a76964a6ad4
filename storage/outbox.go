package storage

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/handoff/handoff"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Outbox statuses.
const (
	OutboxPending = "pending"
	OutboxDone    = "done"
	OutboxDead    = "dead" // gave up: a permanent error; kept for inspection
)

// insertOutbox queues msgs at now in tx: on PostgreSQL as outboxWrite
// does (an array per column, a text whatever the number of messages), on
// SQLite with GORM's INSERT.
func insertOutbox(tx *gorm.DB, now time.Time, msgs ...handoff.OutboxMessage) error {
	rows := outboxRows(now, msgs)
	if len(rows) == 0 {
		return nil
	}
	if tx.Dialector.Name() == DialectPostgres {
		return execWrites(tx, []tableWrite{outboxWrite(rows)})
	}
	return tx.Create(&rows).Error
}

// outboxRows are msgs as new pending rows queued at now.
func outboxRows(now time.Time, msgs []handoff.OutboxMessage) []outboxRow {
	rows := make([]outboxRow, len(msgs))
	for i, m := range msgs {
		due := m.Due
		if due.IsZero() {
			due = now
		}
		rows[i] = outboxRow{Kind: m.Kind, LeadID: m.LeadID, Platform: m.Platform, Payload: m.Payload,
			Status: OutboxPending, DueMs: ms(due), CreatedMs: ms(now)}
	}
	return rows
}

// Enqueue adds messages to the outbox; a zero Due means now. Concurrent
// calls share one INSERT and one commit (group commit, on PostgreSQL too:
// a burst of clicks each queueing a notice waits for one commit, not for
// its own); each returns once its messages are committed.
func (s *Store) Enqueue(ctx context.Context, now time.Time, msgs ...handoff.OutboxMessage) error {
	if len(msgs) == 0 {
		return nil
	}
	insert := func() error { return s.tx(ctx, func(tx *gorm.DB) error { return insertOutbox(tx, now, msgs...) }) }
	if g := s.enqueuer; g != nil { // nil once closed
		insert = func() error { return g.insertOutbox(ctx, outboxRows(now, msgs)) }
	}
	if err := insert(); err != nil {
		return fmt.Errorf("storage: enqueue %d messages: %w", len(msgs), err)
	}
	s.queued(len(msgs))
	return nil
}

// TakeOutbox leases up to limit due messages to worker for the lease
// duration and returns them, oldest due first. A leased message is invisible
// to other workers until the lease ends, so a crashed worker's messages are
// retried by another. now is on the database's clock (Clock), as every
// replica's is: a worker whose own clock is off takes no message another
// holds, and one another replica queued is due for it when it is for
// that replica. On PostgreSQL rows are taken with FOR UPDATE SKIP LOCKED.
// Given platforms (those the worker has a client for), it takes only the
// messages for one of them and those for no platform in particular: a
// replica without a platform's credentials (a rolling deploy that adds
// Teams) leaves that platform's messages to the replicas that have them
// (UnservedOutbox tells of those no replica takes). It records the
// worker's platforms for the other replicas to read (OtherPlatforms): a
// worker that takes a message meant for every platform while another
// replica serves a platform it lacks splits it into one per platform
// (outbox_servers.go). A worker without a managers' channel on a platform
// leaves that platform's managers' messages to a replica serving it now
// that has one, and takes them, to skip, only when none does
// (leaveManagers).
func (s *Store) TakeOutbox(ctx context.Context, now time.Time, limit int, lease time.Duration, worker string, platforms ...string) ([]handoff.OutboxMessage, error) {
	if err := s.serveOutbox(ctx, worker, platforms, now, lease); err != nil {
		return nil, fmt.Errorf("storage: take outbox: %w", err)
	}
	msgs, err := s.take(ctx, now, limit, lease, worker, s.chatTakenBy(worker, platforms, now))
	if err != nil {
		return nil, fmt.Errorf("storage: take outbox: %w", err)
	}
	return msgs, nil
}

// chatFor keeps the chat messages (not the webhooks) that a worker
// serving platforms takes: those for one of platforms and those for no
// platform in particular; every chat message when platforms is empty.
func chatFor(platforms []string) func(*gorm.DB) *gorm.DB {
	return func(q *gorm.DB) *gorm.DB {
		q = q.Where("kind <> ?", handoff.OutboxWebhook)
		if len(platforms) > 0 {
			q = q.Where("platform IN ?", append([]string{""}, platforms...))
		}
		return q
	}
}

// take leases up to limit due pending messages that scope keeps, oldest
// due first, as TakeOutbox describes. Its read runs with PostgreSQL's
// sorts off, and the lease after it with them back on (within): the lease
// reads its rows back in the take's order, a sort, which with sorts off
// PostgreSQL still makes but prices past jit_above_cost, and compiles:
// 63-69 ms the first time in a connection, 0.17-0.21 ms after, against
// 0.02-0.04 ms (BENCHMARKS.md, "The planner's settings in one round trip").
func (s *Store) take(ctx context.Context, now time.Time, limit int, lease time.Duration, worker string, scope func(*gorm.DB) *gorm.DB) ([]handoff.OutboxMessage, error) {
	var rows []outboxRow
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var ids []int64
		err := inIndexOrder.within(tx, func() error { return dueOutbox(tx, now, limit, scope).Find(&ids).Error })
		if err != nil || len(ids) == 0 {
			return err
		}
		rows, err = leaseOutbox(tx, ids, now, lease, worker)
		return err
	})
	if err != nil {
		return nil, err
	}
	return outboxMessages(rows), nil
}

// dueOutbox selects the ids of up to limit due pending messages that
// scope keeps and no worker holds at now, oldest due first (and by id
// among those due at once), locked on PostgreSQL with SKIP LOCKED.
func dueOutbox(tx *gorm.DB, now time.Time, limit int, scope func(*gorm.DB) *gorm.DB) *gorm.DB {
	q := scope(tx.Model(&outboxRow{}).Select("id").
		Where(pendingOutbox+" AND due_ms <= ? AND locked_until_ms <= ?", ms(now), ms(now))).
		Order("due_ms, id").Limit(limit)
	if tx.Dialector.Name() == DialectPostgres {
		q = q.Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"})
	}
	return q
}

// outboxOfIDs is the condition on a message's id, for a list of messages.
var outboxOfIDs = newInList("outbox", "id")

// leaseOutbox leases the messages of ids to worker until now+lease (now
// on the database's clock), counting an attempt, and reads them, oldest
// due first. On PostgreSQL
// both statements pass the ids as one array and are planned at each
// execution (planEach): a generic plan made while the outbox held a few
// rows without statistics scans the whole outbox until something
// analyses it (TestPGIDListStatementsUseIndexes).
func leaseOutbox(tx *gorm.DB, ids []int64, now time.Time, lease time.Duration, worker string) ([]outboxRow, error) {
	cond, arg := outboxOfIDs.in(tx.Dialector.Name(), ids)
	db := planEach(tx)
	if err := db.Model(&outboxRow{}).Where(cond, arg).
		Updates(map[string]any{"locked_until_ms": ms(now.Add(lease)), "locked_by": worker, "attempts": gorm.Expr("attempts + 1")}).Error; err != nil {
		return nil, err
	}
	var rows []outboxRow
	err := db.Where(cond, arg).Order("due_ms, id").Find(&rows).Error
	return rows, err
}

func outboxMessages(rows []outboxRow) []handoff.OutboxMessage {
	out := make([]handoff.OutboxMessage, len(rows))
	for i, r := range rows {
		out[i] = r.message()
	}
	return out
}

// held selects message m's row if m's lease still holds it: the row is
// pending and no worker has taken it since (each take counts an attempt).
func held(tx *gorm.DB, m handoff.OutboxMessage) *gorm.DB {
	return tx.Model(&outboxRow{}).Where("id = ? AND status = ? AND locked_by = ? AND attempts = ?", m.ID, OutboxPending, m.LeasedBy, m.Attempts)
}

// updateHeld applies values to m's row as its lease holder, or returns
// ECONFLICT when another worker has taken the message since (or it is no
// longer pending), changing nothing.
func updateHeld(tx *gorm.DB, m handoff.OutboxMessage, values map[string]any) error {
	r := held(tx, m).Updates(values)
	if r.Error != nil {
		return r.Error
	}
	if r.RowsAffected == 0 {
		return handoff.Errorf(handoff.ECONFLICT, "outbox message %d is no longer leased to %s (attempt %d)", m.ID, m.LeasedBy, m.Attempts)
	}
	return nil
}

// RenewOutbox extends the lease on m, as TakeOutbox leased it, until
// until (on the database's clock, Clock). It returns ECONFLICT when the
// lease was lost: another worker took the message after the lease ran
// out, or it was completed.
func (s *Store) RenewOutbox(ctx context.Context, m handoff.OutboxMessage, until time.Time) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		return updateHeld(tx, m, map[string]any{"locked_until_ms": ms(until)})
	})
	if err != nil {
		return fmt.Errorf("storage: renew outbox %d: %w", m.ID, err)
	}
	return nil
}

// CompleteOutbox marks message m done with the platform's result (a
// message ts or activity id), in one transaction with any chat post it
// created, so a message Slack acknowledged is never sent again. Only the
// holder of m's lease completes it: when another worker has taken the
// message since, it returns ECONFLICT and leaves the message as it is,
// recording only the posts, which exist all the same (recordPosts).
func (s *Store) CompleteOutbox(ctx context.Context, m handoff.OutboxMessage, now time.Time, result string, posts ...handoff.ChatPost) error {
	return s.RecordOutbox(ctx, handoff.OutboxOutcome{Message: m, At: now, Result: result, Posts: posts})[0]
}

// RetryOutbox releases message m for another attempt at next, recording
// why this one failed. Like CompleteOutbox it acts only as m's lease
// holder, and returns ECONFLICT otherwise.
func (s *Store) RetryOutbox(ctx context.Context, m handoff.OutboxMessage, next time.Time, cause string) error {
	return s.RecordOutbox(ctx, handoff.OutboxOutcome{Message: m, Retry: next, Cause: cause})[0]
}

// FailOutbox gives up on message m (a permanent error, or retried past the
// deadline): it becomes dead, kept for `handoff outbox list`. Like
// CompleteOutbox it acts only as m's lease holder, and returns ECONFLICT
// otherwise.
func (s *Store) FailOutbox(ctx context.Context, m handoff.OutboxMessage, now time.Time, cause string) error {
	return s.RecordOutbox(ctx, handoff.OutboxOutcome{Message: m, At: now, Dead: true, Cause: cause})[0]
}

// RecordOutbox records the outcomes of several leased messages in one
// transaction (one commit for a round's bookkeeping) and returns one error
// per outcome: each is recorded as CompleteOutbox, RetryOutbox or
// FailOutbox would (or, Untried, given back: its lease ended and its
// attempt not counted; a Held retry's attempt is not counted either), only while its worker still holds the message's lease
// (ECONFLICT otherwise, that outcome alone unrecorded). A recorded
// outcome's Shown changes its lead in the same transaction (recordShown);
// one whose lead cannot be read or written is recorded without it, and its
// error is a handoff.ShownError. Should the shared transaction fail, each
// outcome is recorded again on its own, so that one cannot undo the
// others, and an outcome that fails with its Shown is recorded without it.
func (s *Store) RecordOutbox(ctx context.Context, outcomes ...handoff.OutboxOutcome) []error {
	errs := make([]error, len(outcomes))
	err := s.tx(ctx, func(tx *gorm.DB) error { return s.recordOutcomes(tx, outcomes, errs) })
	if err != nil {
		for i, o := range outcomes {
			errs[i] = err
			if len(outcomes) > 1 {
				errs[i] = s.recordAlone(ctx, o)
			}
			if failed := errs[i]; o.Shown != nil && recordFailed(failed) {
				o.Shown = nil
				if errs[i] = s.recordAlone(ctx, o); errs[i] == nil {
					errs[i] = &handoff.ShownError{LeadID: o.Message.LeadID, Err: failed}
				}
			}
		}
	}
	for i, o := range outcomes {
		if errs[i] != nil {
			errs[i] = fmt.Errorf("storage: record outbox %d: %w", o.Message.ID, errs[i])
		}
	}
	return errs
}

// recordAlone records outcome o in a transaction of its own.
func (s *Store) recordAlone(ctx context.Context, o handoff.OutboxOutcome) error {
	errs := make([]error, 1)
	if err := s.tx(ctx, func(tx *gorm.DB) error { return s.recordOutcomes(tx, []handoff.OutboxOutcome{o}, errs) }); err != nil {
		return err
	}
	return errs[0]
}

// recordFailed reports whether err left its outcome unrecorded for a
// reason other than a lost lease.
func recordFailed(err error) bool {
	var shown *handoff.ShownError
	return err != nil && handoff.ErrorCode(err) != handoff.ECONFLICT && !errors.As(err, &shown)
}

// recordOutcomes writes outcomes in tx, each outcome's error in errs: a
// lost lease (ECONFLICT) or a lead its Shown cannot change leaves the
// others to be written; any other error is returned, to roll tx back. The
// leads that the outcomes' Shown change are locked first, before any
// outbox row (lockShown).
func (s *Store) recordOutcomes(tx *gorm.DB, outcomes []handoff.OutboxOutcome, errs []error) error {
	clear(errs) // a transaction run again starts over
	leads, err := lockShown(tx, outcomes)
	if err != nil {
		return err
	}
	for i, o := range outcomes {
		errs[i] = recordOutcome(tx, o)
		if errs[i] != nil && handoff.ErrorCode(errs[i]) != handoff.ECONFLICT {
			return errs[i]
		}
	}
	return s.recordShown(tx, outcomes, errs, leads)
}

// recordOutcome writes one outcome as the holder of its message's lease,
// and queues the outcome's Then once it is written.
func recordOutcome(tx *gorm.DB, o handoff.OutboxOutcome) error {
	if err := writeOutcome(tx, o); err != nil || len(o.Then) == 0 {
		return err
	}
	return insertOutbox(tx, o.At, o.Then...)
}

// writeOutcome writes one outcome's message as the holder of its lease.
func writeOutcome(tx *gorm.DB, o handoff.OutboxOutcome) error {
	m := o.Message
	switch {
	case o.Untried:
		return updateHeld(tx, m, map[string]any{"locked_until_ms": 0, "locked_by": "", "attempts": gorm.Expr("attempts - 1")})
	case o.Dead:
		values := map[string]any{"status": OutboxDead, "done_ms": ms(o.At), "locked_until_ms": 0, "last_error": storableText(o.Cause), "refused_by": o.RefusedBy}
		if m.Kind == handoff.OutboxWebhook {
			deadErrorWithoutErasedID(m.Payload, values)
		}
		return updateHeld(tx, m, values)
	case !o.Retry.IsZero():
		var notBefore *int64 // the outbox's own backoff: HastenOutbox may shorten it
		if o.RetryAsked {
			notBefore = msPtr(&o.Retry)
		}
		values := map[string]any{"due_ms": ms(o.Retry), "not_before_ms": notBefore, "locked_until_ms": 0, "last_error": storableText(o.Cause)}
		switch {
		case o.Held: // a wait the platform asked for, not a failure
			values["attempts"] = gorm.Expr("attempts - 1")
			if !o.At.IsZero() && o.Retry.After(o.At) {
				values["failing_since_ms"] = gorm.Expr("failing_since_ms + ?", ms(o.Retry)-ms(o.At)) // NULL stays NULL
			}
		case !o.At.IsZero():
			values["failing_since_ms"] = gorm.Expr("COALESCE(failing_since_ms, ?)", ms(o.At))
		}
		return updateHeld(tx, m, values)
	}
	// A sent message keeps no payload: it may hold personal data that is
	// no longer needed.
	err := updateHeld(tx, m, map[string]any{"status": OutboxDone, "result": handoff.CutChars(storableText(o.Result), resultColumnLen), "done_ms": ms(o.At), "locked_until_ms": 0, "last_error": "", "payload": ""})
	if handoff.ErrorCode(err) == handoff.ECONFLICT && len(o.Posts) > 0 {
		// The lease ran out while the platform took the message: the
		// message is another worker's now, but what was posted is
		// recorded all the same, so that erasing the lead reaches it and
		// the new holder does not announce the lead again.
		if perr := recordPosts(tx, m, o.Posts, o.At, true); perr != nil {
			return perr
		}
		return err // the lost lease, for the caller
	}
	if err != nil {
		return err
	}
	return recordPosts(tx, m, o.Posts, o.At, false)
}

// recordPosts stores the chat posts that message m created; a card
// posted by a worker that lost its lease (stray) does not replace a card
// the lead has on its platform, and is kept as an earlier card instead.
// A post of a lead erased since m was queued (so perhaps rendered before
// the erasure, whose chat work may have run before the post was recorded)
// queues the lead's erasure work again, which changes every message that
// showed it, this one included, to the erased view. Likewise a card of a
// lead changed since m was queued (claimed while the card was on its way,
// or while an earlier attempt's post waited to be found) queues the
// lead's refresh on its platform: the refresh the change queued may have
// run before the card was recorded, found no card there and left it as
// it was rendered, with Claim on a claimed lead. A managers' note about a
// deactivated rep that names a lead changed since m was queued queues
// the note's update for the same reason (noteChanged).
func recordPosts(tx *gorm.DB, m handoff.OutboxMessage, posts []handoff.ChatPost, now time.Time, stray bool) error {
	erased := map[int64]bool{}
	notes := map[string]bool{} // the notes checked, by platform/message id
	for _, p := range posts {
		if stray && p.Kind == "" {
			var n int64
			if err := tx.Model(&chatPostRow{}).Where("lead_id = ? AND platform = ?", p.LeadID, p.Platform).Count(&n).Error; err != nil {
				return err
			}
			if n > 0 {
				p.Kind = handoff.PostEarlierCard
			}
		}
		if err := upsertPost(tx, p, now); err != nil {
			return err
		}
		if p.Kind == "" {
			if err := refreshChangedCard(tx, m, p, now); err != nil {
				return err
			}
		}
		if _, seen := notes[p.Platform+"/"+p.MessageID]; p.Kind == handoff.PostDeactivated && !seen {
			notes[p.Platform+"/"+p.MessageID] = true
			if err := noteChanged(tx, m, posts, p, now); err != nil {
				return err
			}
		}
		if _, seen := erased[p.LeadID]; seen {
			continue
		}
		var n int64
		if err := tx.Model(&leadRow{}).Where("id = ? AND erased_ms >= ?", p.LeadID, ms(m.Created)).Count(&n).Error; err != nil {
			return err
		}
		erased[p.LeadID] = n > 0
		if n > 0 {
			if err := insertOutbox(tx, now, handoff.OutboxMessage{Kind: handoff.OutboxEraseLead, LeadID: p.LeadID}); err != nil {
				return err
			}
		}
	}
	return nil
}

// noteChanged queues the update of the managers' note p records
// (handoff.OutboxNotesOfLead, on its platform: once per note, for one of
// its leads) when a lead the note names (those of posts recorded with the
// same message id), not erased, changed after message m, which posted it,
// was queued: the change's refresh may have
// run before the note was recorded and found no note to render again. A
// change before the note was rendered is shown already; the update then
// finds the note as shown (ChatPost.Shown) and leaves it. An erased lead
// is left to its erasure's work, which renders the note too.
func noteChanged(tx *gorm.DB, m handoff.OutboxMessage, posts []handoff.ChatPost, p handoff.ChatPost, now time.Time) error {
	var ids []int64
	for _, o := range posts {
		if o.Kind == p.Kind && o.Platform == p.Platform && o.MessageID == p.MessageID {
			ids = append(ids, o.LeadID)
		}
	}
	var changed []int64
	err := tx.Model(&leadRow{}).Where("id IN ? AND updated_ms > ? AND erased_ms IS NULL", ids, ms(m.Created)).Order("id").Limit(1).Pluck("id", &changed).Error
	if err != nil || len(changed) == 0 {
		return err
	}
	return insertOutbox(tx, now, handoff.OutboxMessage{Kind: handoff.OutboxNotesOfLead, LeadID: changed[0], Platform: p.Platform})
}

// refreshChangedCard queues the refresh of card p on its platform when
// its lead changed after message m, which posted it, was queued (see
// recordPosts); an erased lead's card is left to its erasure work.
func refreshChangedCard(tx *gorm.DB, m handoff.OutboxMessage, p handoff.ChatPost, now time.Time) error {
	var n int64
	err := tx.Model(&leadRow{}).Where("id = ? AND updated_ms > ? AND erased_ms IS NULL", p.LeadID, ms(m.Created)).Count(&n).Error
	if err != nil || n == 0 {
		return err
	}
	return insertOutbox(tx, now, handoff.OutboxMessage{Kind: handoff.OutboxRefreshLead, LeadID: p.LeadID, Platform: p.Platform})
}

// NextOutboxDueFor returns when the earliest pending chat message that
// worker, serving platforms, takes at now (on the database's clock)
// becomes due (or its lease ends), and false when there is none: the
// messages TakeOutbox takes with the same arguments, whatever the time
// (chatTakenBy). A worker does not wake, at once and again, for a
// message it leaves to another replica: one for a platform it does not
// serve, or a managers' message it leaves to a replica serving the
// platform now with a managers' channel there (leaveManagers). A worker
// that leaves managers' work (it said it has no managers' channel on a
// platform) is also given the end of the earliest record that would make
// it leave such work (managersLeft.ends), when that comes first: should
// that replica die, worker takes the work once its record runs out, not
// at its next round (outbox.DefaultIdle later at most). It returns a
// wrapped error when the outbox cannot be read.
func (s *Store) NextOutboxDueFor(ctx context.Context, worker string, now time.Time, platforms ...string) (time.Time, bool, error) {
	scope, ends := s.nextChat(worker, platforms, now)
	at, ok, err := s.nextPending(ctx, scope, ends)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("storage: next outbox due: %w", err)
	}
	return at, ok, nil
}

// nextChat is what NextOutboxDueFor reads for worker serving platforms at
// now: the messages it takes (chatTakenBy), and when the earliest record
// that makes it leave managers' work ends (managersLeft.ends).
func (s *Store) nextChat(worker string, platforms []string, now time.Time) (scope func(*gorm.DB) *gorm.DB, ends func(db *gorm.DB) *gorm.DB) {
	left := s.leaveManagers(worker, platforms, now)
	return left.taken(chatFor(platforms)), left.ends
}

// nextPending returns when the earliest pending message that scope keeps
// becomes due or its lease ends (the later of the two), or the time ends
// selects, if that comes first, and false when there is neither. It
// reads a bounded part of the outbox, through idx_outbox_status_due_id
// in the take's order (inIndexRange), not every pending message
// (nextPendingQuery). ends, given the database, selects a time (ms) or
// NULL; it may be nil, or return nil, to add nothing to the read. On
// PostgreSQL it is read as a subquery of the same statement (a statement
// of its own would add a round trip); on SQLite as a statement of its
// own, in the same transaction: as a subquery it made the read of a
// replica leaving managers' work 0.2-0.4 ms slower at 120,000 pending,
// as a statement 0.03-0.1 ms (BENCHMARKS.md, "The wait of a replica
// leaving the managers' work ends with the record").
func (s *Store) nextPending(ctx context.Context, scope func(*gorm.DB) *gorm.DB, ends func(db *gorm.DB) *gorm.DB) (time.Time, bool, error) {
	var row struct{ Head, Leased, Ends *int64 }
	err := inIndexRange.alone(s.db.WithContext(ctx), func(tx *gorm.DB) error {
		var end *gorm.DB
		if ends != nil {
			end = ends(tx.Session(&gorm.Session{NewDB: true}))
		}
		if end == nil || tx.Dialector.Name() == DialectPostgres {
			return nextPendingQuery(tx, scope, end).Scan(&row).Error
		}
		if err := nextPendingQuery(tx, scope, nil).Scan(&row).Error; err != nil {
			return err
		}
		return end.Scan(&row.Ends).Error
	})
	if err != nil {
		return time.Time{}, false, err
	}
	var due *int64
	for _, at := range []*int64{row.Head, row.Leased, row.Ends} {
		if at != nil && (due == nil || *at < *due) {
			due = at
		}
	}
	if due == nil {
		return time.Time{}, false, nil
	}
	return fromMs(*due), true, nil
}

// nextPendingQuery reads, of the pending messages that scope keeps, the
// due time of the first in the take's order (due time, then id) whose
// lease, if any, ends by its due time (head: it becomes due then, and no
// message due after it can come sooner), and the earliest lease end of
// those due before it (leased: each of them is leased past its due time,
// so they are the few messages workers hold; all of scope's messages when
// there is no head). The earlier of the two is what the MIN of the later
// of due time and lease end over every pending message was (247.6 ms at
// 120,000 pending on PostgreSQL; BENCHMARKS.md, "The outbox draining a
// large backlog"), in one statement, so from one snapshot; with end, a
// scalar subquery, as a third column (ends) when it is not nil.
func nextPendingQuery(tx *gorm.DB, scope func(*gorm.DB) *gorm.DB, end *gorm.DB) *gorm.DB {
	db := tx.Session(&gorm.Session{NewDB: true}) // each read below a statement of its own
	pending := func() *gorm.DB { return scope(db.Model(&outboxRow{}).Where(pendingOutbox)) }
	head := pending().Select("due_ms").Where("locked_until_ms <= due_ms").Order("due_ms, id").Limit(1)
	read := pending().Select("(?) AS head, MIN(locked_until_ms) AS leased", head)
	if end != nil {
		read = pending().Select("(?) AS head, MIN(locked_until_ms) AS leased, (?) AS ends", head, end)
	}
	return read.Where("due_ms < COALESCE((?), ?)", head, int64(math.MaxInt64))
}

// OutboxStats describes the pending outbox.
type OutboxStats struct {
	Pending int64     // up to the counts' cap (handoff.OutboxCountCap)
	Dead    int64     // up to the counts' cap
	Oldest  time.Time // when the oldest pending message was queued (or requeued); zero when none
	// PendingCapped and DeadCapped say that the count reached the cap and
	// stopped there: at least that many messages, not exactly that many.
	PendingCapped bool
	DeadCapped    bool
}

// OutboxStats counts the pending and the dead messages, each exactly
// below handoff.OutboxCountCap and, from the cap up, as the cap with its
// Capped flag set (each a read of at most the cap's entries of an index,
// whatever the backlog: countUpTo; statsCap says why), and tells when the
// oldest pending message was queued (or requeued); in one statement, so
// from one snapshot.
func (s *Store) OutboxStats(ctx context.Context) (OutboxStats, error) {
	limit := s.statsCap()
	var row struct {
		Pending int64
		Dead    int64
		Oldest  *int64
	}
	err := inIndexScan.alone(s.db.WithContext(ctx), func(tx *gorm.DB) error {
		return tx.Raw("SELECT (?) AS pending, (?) AS dead, (?) AS oldest",
			countUpTo(tx, pendingOutbox, limit), countUpTo(tx, deadOutbox, limit), oldestPending(tx)).Scan(&row).Error
	})
	if err != nil {
		return OutboxStats{}, fmt.Errorf("storage: outbox stats: %w", err)
	}
	st := OutboxStats{Pending: row.Pending, Dead: row.Dead, PendingCapped: row.Pending >= limit, DeadCapped: row.Dead >= limit}
	if row.Oldest != nil {
		st.Oldest = fromMs(*row.Oldest)
	}
	return st, nil
}

// statsCap is the store's cap on OutboxStats' counts:
// handoff.OutboxCountCap unless a test set a smaller one. The counts stop
// there because they are read at every scrape of the metrics, and
// counting every pending and every dead message took 46-61 ms of
// PostgreSQL's time at 120,000 pending and 20,000 dead on a quiet machine
// (133-160 ms on a busy one), against 1.1-1.4 ms up to the cap
// (BENCHMARKS.md, "The outbox's counts bounded"), while the alerts'
// thresholds on the counts are 0 (HandoffMessagesGivenUp, dead > 0). A
// count kept in a row of its own would have every enqueue and completion,
// the intake's path, contend on that row.
func (s *Store) statsCap() int64 {
	if s.countCap > 0 {
		return s.countCap
	}
	return handoff.OutboxCountCap
}

// countUpTo counts the messages that cond, a condition on their status,
// keeps, up to limit: run with PostgreSQL's sequential and bitmap scans off
// (inIndexScan), it reads at most limit entries of an index that starts
// with status (idx_outbox_pending_queued, idx_outbox_status_due_id),
// however many messages there are.
func countUpTo(tx *gorm.DB, cond string, limit int64) *gorm.DB {
	db := tx.Session(&gorm.Session{NewDB: true})
	return db.Table("(?) AS counted", db.Model(&outboxRow{}).Select("1").Where(cond).Limit(int(limit))).Select("COUNT(*)")
}

// pendingOutbox is the condition on a pending message, its status written
// out rather than bound, so that the planners know a read with it may use
// the indexes of the pending messages alone (idx_outbox_pending_queued,
// idx_outbox_webhook_due), in a generic plan too.
const pendingOutbox = "status = '" + OutboxPending + "'"

// deadOutbox is the condition on a dead message, written out as
// pendingOutbox is.
const deadOutbox = "status = '" + OutboxDead + "'"

// queuedMs is when a message was queued, or requeued (`handoff outbox
// retry`): what idx_outbox_pending_queued orders the pending messages by.
const queuedMs = "COALESCE(requeued_ms, created_ms)"

// oldestPending reads when the oldest pending message was queued (or
// requeued): the first entry of idx_outbox_pending_queued, read in order
// (inIndexOrder), rather than the MIN over every pending message.
func oldestPending(tx *gorm.DB) *gorm.DB {
	return tx.Session(&gorm.Session{NewDB: true}).Model(&outboxRow{}).Select(queuedMs).Where(pendingOutbox).Order(queuedMs).Limit(1)
}

// OutboxMessages lists messages of a lead, oldest first (for tests and the CLI).
func (s *Store) OutboxMessages(ctx context.Context, leadID int64) ([]handoff.OutboxMessage, error) {
	var rows []outboxRow
	if err := s.db.WithContext(ctx).Where("lead_id = ?", leadID).Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("storage: outbox of lead %d: %w", leadID, err)
	}
	return outboxMessages(rows), nil
}

// upsertPost stores p. A card replaces the lead's card on its platform; the
// card it replaces is kept as a handoff.PostEarlierCard, and updated to say
// that the lead came back when p announces a later SQL
// (handoff.CardCameBack, queued with the record). Any other kind is added.
// A post whose channel or message id its columns cannot hold
// (handoff.CheckChatPost) is refused, EINVALID, before any write.
func upsertPost(tx *gorm.DB, p handoff.ChatPost, now time.Time) error {
	if problem := handoff.CheckChatPost(p); problem != "" {
		return handoff.Errorf(handoff.EINVALID, "chat post of lead %d on %s: %s", p.LeadID, p.Platform, problem)
	}
	if p.Kind != "" {
		return tx.Create(&leadMessageRow{LeadID: p.LeadID, Kind: p.Kind, Platform: p.Platform, Channel: p.Channel, MessageID: p.MessageID, CreatedMs: ms(now), ExpiresMs: msPtr(p.ExpiresAt), Notice: p.Notice, Shown: p.Shown}).Error
	}
	var old []chatPostRow
	if err := tx.Where("lead_id = ? AND platform = ?", p.LeadID, p.Platform).Find(&old).Error; err != nil {
		return err
	}
	for _, o := range old {
		if o.MessageID != p.MessageID || o.Channel != p.Channel {
			earlier := leadMessageRow{LeadID: o.LeadID, Kind: handoff.PostEarlierCard, Platform: o.Platform, Channel: o.Channel, MessageID: o.MessageID, CreatedMs: ms(now)}
			if err := tx.Create(&earlier).Error; err != nil {
				return err
			}
			replaced := handoff.ChatPost{LeadID: o.LeadID, Platform: o.Platform, Channel: o.Channel, MessageID: o.MessageID, SQLAt: fromMsPtr(o.SQLMs)}
			if m := handoff.CardCameBack(replaced, p); m != nil {
				if err := insertOutbox(tx, now, *m); err != nil {
					return err
				}
			}
		}
	}
	row := chatPostRow{LeadID: p.LeadID, Platform: p.Platform, Channel: p.Channel, MessageID: p.MessageID, SQLMs: msPtr(p.SQLAt), CreatedMs: ms(now), UpdatedMs: ms(now)}
	return tx.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "lead_id"}, {Name: "platform"}},
		DoUpdates: clause.AssignmentColumns([]string{"channel", "message_id", "sql_ms", "updated_ms"}),
	}).Create(&row).Error
}

// ChatPosts returns the lead's cards, one per platform.
func (s *Store) ChatPosts(ctx context.Context, leadID int64) ([]handoff.ChatPost, error) {
	var rows []chatPostRow
	if err := s.db.WithContext(ctx).Where("lead_id = ?", leadID).Order("platform").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("storage: chat posts of lead %d: %w", leadID, err)
	}
	out := make([]handoff.ChatPost, len(rows))
	for i, r := range rows {
		out[i] = handoff.ChatPost{LeadID: r.LeadID, Platform: r.Platform, Channel: r.Channel, MessageID: r.MessageID, SQLAt: fromMsPtr(r.SQLMs)}
	}
	return out, nil
}

// LeadMessages returns the lead's other chat posts (earlier cards, direct
// messages, reminders, escalations), oldest first.
func (s *Store) LeadMessages(ctx context.Context, leadID int64) ([]handoff.ChatPost, error) {
	var rows []leadMessageRow
	if err := s.db.WithContext(ctx).Where("lead_id = ?", leadID).Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("storage: chat messages of lead %d: %w", leadID, err)
	}
	out := make([]handoff.ChatPost, len(rows))
	for i, r := range rows {
		out[i] = handoff.ChatPost{LeadID: r.LeadID, Platform: r.Platform, Channel: r.Channel, MessageID: r.MessageID, Kind: r.Kind, ExpiresAt: fromMsPtr(r.ExpiresMs), Notice: r.Notice, Shown: r.Shown}
	}
	return out, nil
}

// NoteShown returns what the managers' note about a deactivated rep
// posted on platform as messageID shows (handoff.ChatPost.Shown; "" when
// unknown or not recorded), or a wrapped error when the read fails.
func (s *Store) NoteShown(ctx context.Context, platform, messageID string) (string, error) {
	var shown []string
	err := s.db.WithContext(ctx).Model(&leadMessageRow{}).Where("kind = ? AND platform = ? AND message_id = ?", handoff.PostDeactivated, platform, messageID).
		Limit(1).Pluck("shown", &shown).Error
	if err != nil {
		return "", fmt.Errorf("storage: note %s/%s shown: %w", platform, messageID, err)
	}
	if len(shown) == 0 {
		return "", nil
	}
	return shown[0], nil
}

// SetNoteShown sets what the managers' note about a deactivated rep
// posted on platform as messageID shows (handoff.ChatPost.Shown) to shown,
// in every record of the note, if it still holds was (whatever it holds
// when anyWas), and reports whether it did: a compare-and-set, so that of
// replicas updating one note at once, those whose update may have landed
// out of order find out (bot/outbox). It returns a wrapped error when the
// write fails.
func (s *Store) SetNoteShown(ctx context.Context, platform, messageID, was, shown string, anyWas bool) (bool, error) {
	q := s.write.WithContext(ctx).Model(&leadMessageRow{}).Where("kind = ? AND platform = ? AND message_id = ?", handoff.PostDeactivated, platform, messageID)
	if !anyWas {
		q = q.Where("shown = ?", was)
	}
	r := q.Update("shown", shown)
	if r.Error != nil {
		return false, fmt.Errorf("storage: note %s/%s shown: %w", platform, messageID, r.Error)
	}
	return r.RowsAffected > 0, nil
}

// SaveLeadMessages records chat messages that showed leads outside the
// outbox (a Slack command answered at once, in the HTTP response), rendered
// from the leads as they were at rendered, so that erasing a lead can update
// them. A post of a lead erased at or after rendered (the answer may show
// the person: the erasure's updates ran without it) is recorded and the
// lead's erase update queued again, as RecordOutbox does for the outbox's
// messages; a post of a lead erased before rendered (it showed the anonymous
// lead) or not stored is skipped.
func (s *Store) SaveLeadMessages(ctx context.Context, rendered, now time.Time, posts ...handoff.ChatPost) error {
	queued := 0
	err := s.tx(ctx, func(tx *gorm.DB) error {
		queued = 0 // the group committer may run the transaction again alone
		requeued := map[int64]bool{}
		for _, p := range posts {
			if p.Kind == "" {
				continue
			}
			var rows []leadRow
			if err := tx.Select("id", "erased_ms").Where("id = ?", p.LeadID).Limit(1).Find(&rows).Error; err != nil {
				return err
			}
			if len(rows) == 0 || rows[0].ErasedMs != nil && *rows[0].ErasedMs < ms(rendered) {
				continue
			}
			if err := upsertPost(tx, p, now); err != nil {
				return err
			}
			if rows[0].ErasedMs == nil || requeued[p.LeadID] {
				continue
			}
			requeued[p.LeadID] = true
			if err := insertOutbox(tx, now, handoff.OutboxMessage{Kind: handoff.OutboxEraseLead, LeadID: p.LeadID}); err != nil {
				return err
			}
			queued++
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("storage: save lead messages: %w", err)
	}
	s.queued(queued)
	return nil
}

// PruneExpiredReplies forgets the command answers that showed leads whose
// reply handle (a Slack response_url) has expired at now: erasing can no
// longer replace them. It returns how many it removed.
func (s *Store) PruneExpiredReplies(ctx context.Context, now time.Time) (int64, error) {
	r := s.write.WithContext(ctx).Where("kind = ? AND expires_ms <= ?", handoff.PostReply, ms(now)).Delete(&leadMessageRow{})
	if r.Error != nil {
		return 0, fmt.Errorf("storage: prune expired replies: %w", r.Error)
	}
	return r.RowsAffected, nil
}

// LeadByPost finds the lead posted as message messageID on a platform, or ENOTFOUND.
func (s *Store) LeadByPost(ctx context.Context, platform, messageID string) (int64, error) {
	var row chatPostRow
	err := s.db.WithContext(ctx).Where("platform = ? AND message_id = ?", platform, messageID).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return 0, notFound("post %s/%s", platform, messageID)
	}
	if err != nil {
		return 0, fmt.Errorf("storage: lead by post %s/%s: %w", platform, messageID, err)
	}
	return row.LeadID, nil
}

// ReleaseOutboxLeases makes every leased pending message available again at
// once. Only a single-replica deployment (SQLite) may call it at start-up:
// there the leases can only be a crashed predecessor's.
func (s *Store) ReleaseOutboxLeases(ctx context.Context) (int64, error) {
	r := s.write.WithContext(ctx).Model(&outboxRow{}).Where("status = ? AND locked_until_ms > 0", OutboxPending).
		Updates(map[string]any{"locked_until_ms": 0, "locked_by": ""})
	if r.Error != nil {
		return 0, fmt.Errorf("storage: release outbox leases: %w", r.Error)
	}
	return r.RowsAffected, nil
}
