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
// and their records run out, it takes the work and skips it.

// managersServedNow is the condition on a platform's name that a replica
// serving it at the first argument (ms) has, or may have, a managers'
// channel there, among the platforms of the second argument: an IN over
// outbox_servers (its few rows), which the planners run once per
// statement, not per outbox row.
const managersServedNow = "SELECT platform FROM outbox_servers WHERE until_ms > ? AND no_managers = ? AND platform IN ?"

// leaveManagers keeps, of the chat messages a take by worker serving
// platforms at now reads, those it is to take rather than leave to
// another replica: a managers' message (handoff.ManagersKinds) for a
// platform on which worker said it has no managers' channel
// (ManagersChannels) is left while a replica serving that platform now
// has one; so is one for every platform (platform "") while worker has
// none on any of its platforms and a replica serving one of them now has
// one, which that replica splits (the outbox's fanOut). A worker that did
// not say, or has one on each of its platforms, takes them all. The
// condition adds a filter on columns of the rows the take's index finds
// (idx_outbox_status_due_id), so its plan keeps that index.
func (s *Store) leaveManagers(worker string, platforms []string, now time.Time) func(*gorm.DB) *gorm.DB {
	var without []string
	for _, p := range platforms {
		if s.servers.noManagers(worker, p) {
			without = append(without, p)
		}
	}
	if len(without) == 0 {
		return func(q *gorm.DB) *gorm.DB { return q }
	}
	served := []any{ms(now), false, without}
	cond, args := "platform IN ("+managersServedNow+")", served
	if len(without) == len(platforms) {
		cond = "(" + cond + " OR platform = '' AND EXISTS (" + managersServedNow + "))"
		args = append(args, served...)
	}
	args = append([]any{handoff.ManagersKinds()}, args...)
	return func(q *gorm.DB) *gorm.DB { return q.Where("NOT (kind IN ? AND "+cond+")", args...) }
}

// chatTakenBy keeps the chat messages worker, serving platforms, takes at
// now: those for its platforms (chatFor), less the managers' work it
// leaves to another replica (leaveManagers). TakeOutbox takes them and
// NextOutboxDueFor waits for them.
func (s *Store) chatTakenBy(worker string, platforms []string, now time.Time) func(*gorm.DB) *gorm.DB {
	leave, chat := s.leaveManagers(worker, platforms, now), chatFor(platforms)
	return func(q *gorm.DB) *gorm.DB { return leave(chat(q)) }
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
		Where("until_ms > ? AND no_managers = ? AND platform IN ?", ms(now), false, platforms).
		Order("platform").Pluck("platform", &served).Error
	if err != nil {
		return nil, fmt.Errorf("storage: managers' channels of the replicas serving now: %w", err)
	}
	return served, nil
}
