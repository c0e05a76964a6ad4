package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/handoff/handoff"
	"gorm.io/gorm"
)

// Replicas need not share the managers' channel setting: a replica
// without one on a platform used to take that platform's managers' work
// (handoff.ToManagers: an escalation, a note) like any other and mark it
// "skipped: no managers' channel", while another replica serving the
// platform had one. Its take now leaves such work to a replica that
// serves the platform now (its outbox_servers record runs past now) and
// has one there (no_managers false: it said so, or it is an older
// replica that did not say), and takes it as before when none does, so
// that nothing waits for ever: once the replicas with one stop, or die
// and their records run out, it takes the work and skips it. Its wait
// (NextOutboxDueFor) ends when the earliest of those records ends
// (managersLeft.ends), so that it takes the work as a dead replica's
// record runs out, not at its next round.

// managersServedNow is the condition on a platform's name that a replica
// serving it at the first argument (ms) has, or may have, a managers'
// channel there, among the platforms of the second argument: an IN over
// outbox_servers (its few rows), which the planners run once per
// statement, not per outbox row.
const managersServedNow = "SELECT platform FROM outbox_servers WHERE " + managersServing

// managersServing is the condition on outbox_servers' records of the
// replicas serving, at the first argument (ms), one of the platforms of
// the third with a managers' channel there, or maybe one (the second:
// false).
const managersServing = "until_ms > ? AND no_managers = ? AND platform IN ?"

// managersLeft is the managers' work a worker leaves to another replica
// (leaveManagers): cond, with args, keeps the managers' messages it
// leaves, and without are the platforms on which it said it has no
// managers' channel, whose records of the replicas serving them with one
// make it leave them. cond is "" when it leaves nothing.
type managersLeft struct {
	cond    string
	args    []any
	without []string
	now     time.Time
}

// leaveManagers is the managers' work that worker, serving platforms,
// leaves to another replica at now (its take keeps the rest: taken): a
// managers' message (handoff.ManagersKinds) for a platform on which
// worker said it has no managers' channel (ManagersChannels) is left
// while a replica serving that platform now has one; so is one for
// every platform (platform "") while worker has none on any of its
// platforms and a replica serving one of them now has one, which that
// replica splits (the outbox's fanOut). A worker that did not say, or has
// one on each of its platforms, leaves nothing. The condition adds a filter on columns of the rows the take's
// index finds (idx_outbox_status_due_id), so its plan keeps that index.
func (s *Store) leaveManagers(worker string, platforms []string, now time.Time) managersLeft {
	var without []string
	for _, p := range platforms {
		if s.servers.noManagers(worker, p) {
			without = append(without, p)
		}
	}
	if len(without) == 0 {
		return managersLeft{}
	}
	served := []any{ms(now), false, without}
	cond, args := "platform IN ("+managersServedNow+")", served
	if len(without) == len(platforms) {
		cond = "(" + cond + " OR platform = '' AND EXISTS (" + managersServedNow + "))"
		args = append(args, served...)
	}
	args = append([]any{handoff.ManagersKinds()}, args...)
	return managersLeft{cond: "kind IN ? AND " + cond, args: args, without: without, now: now}
}

// taken keeps, of the messages scope keeps, those the worker takes: all
// but the managers' work it leaves.
func (l managersLeft) taken(scope func(*gorm.DB) *gorm.DB) func(*gorm.DB) *gorm.DB {
	if l.cond == "" {
		return scope
	}
	return func(q *gorm.DB) *gorm.DB { return scope(q).Where("NOT ("+l.cond+")", l.args...) }
}

// ends selects when the earliest record that makes the worker leave
// managers' work ends: the record of a replica serving one of without
// now with a managers' channel there (its until_ms), NULL when there is
// none. Once that replica's record runs out, as it dies, the worker takes
// the work, so its wait ends then, not at its next round. A live replica
// renews its record once a third of its lease has passed, at its rounds
// (outbox.DefaultIdle apart at most), so its record's end is further off
// than the wait's own bound; it ends the wait only once the replica has
// stopped renewing it: one round, whether or not anything was left. The read is of outbox_servers' few rows. It is nil when the
// worker leaves nothing: its wait reads as before, with nothing added.
func (l managersLeft) ends(db *gorm.DB) *gorm.DB {
	if l.cond == "" {
		return nil
	}
	return db.Model(&outboxServerRow{}).Select("MIN(until_ms)").Where(managersServing, ms(l.now), false, l.without)
}

// chatTakenBy keeps the chat messages worker, serving platforms, takes at
// now: those for its platforms (chatFor), less the managers' work it
// leaves to another replica (leaveManagers). TakeOutbox takes them and
// NextOutboxDueFor waits for them.
func (s *Store) chatTakenBy(worker string, platforms []string, now time.Time) func(*gorm.DB) *gorm.DB {
	return s.leaveManagers(worker, platforms, now).taken(chatFor(platforms))
}

// ManagersElsewhere returns, of platforms, those on which a replica
// serving the platform at now (on the database's clock) has, or may have,
// a managers' channel (outbox_servers: no_managers false), sorted: where
// a dispatcher without one there splits a managers' message for every
// platform into a part that such a replica takes. It returns a wrapped
// error when the records cannot be read.
func (s *Store) ManagersElsewhere(ctx context.Context, now time.Time, platforms []string) ([]string, error) {
	if len(platforms) == 0 {
		return nil, nil
	}
	var served []string
	err := s.db.WithContext(ctx).Model(&outboxServerRow{}).Distinct("platform").
		Where(managersServing, ms(now), false, platforms).
		Order("platform").Pluck("platform", &served).Error
	if err != nil {
		return nil, fmt.Errorf("storage: managers' channels of the replicas serving now: %w", err)
	}
	return served, nil
}
