package storage

import (
	"context"
	"fmt"
	"sync"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// A message for no platform in particular (handoff.OutboxMessage.Platform
// "": a new SQL's card, a lead's refresh or erasure, a note to the
// managers of every platform) is meant for every platform the deployment
// serves, and a replica does the work of the platforms it serves only. In
// a rolling deploy that adds Teams, a replica without Teams' credentials
// took a new lead's card and posted it to Slack alone, a refresh or an
// erasure left the Teams cards as they were. So each dispatcher records
// the platforms it serves in outbox_servers, for as long as a lease, and
// one that takes a message for every platform while another replica
// serves a platform it lacks (OtherPlatforms) splits it into one message
// per platform the replicas serve, each taken by a replica that serves
// its platform. A replica that stops (LeaveOutbox) or dies (its rows run
// out) is most often back in a moment (a restart, a rolling deploy): its
// platforms still count for servedLately, and their parts wait, pending,
// for a replica serving them. Counted only while a replica ran, the part
// of a platform whose only replica was down was never made, and its
// channels never had the card nor the erasure of what they showed. A
// platform removed for good stops counting once servedLately has passed,
// or at once when its pending messages are dropped (DropPendingOutbox).
// The same records say on which platforms each replica has a managers'
// channel, so that the SLA clock drops escalations only when no replica
// serving now or lately has one anywhere (ManagersChannelServed):
// replicas need not share that setting.

// outboxServerRow says that a dispatcher (Worker) takes the chat messages
// of Platform until UntilMs, and whether it has a managers' channel there:
// NoManagers when it said it has none (ManagersChannels). The column came
// after the table: a row an older replica wrote, or had before the
// migration added the column, leaves it false, "may have one", so that in
// a rolling deploy no replica's SLA clock drops the escalations an older
// one would post (ManagersChannelServed).
type outboxServerRow struct {
	Worker     string `gorm:"primaryKey;size:100"`
	Platform   string `gorm:"primaryKey;size:20"`
	UntilMs    int64  `gorm:"not null"`
	NoManagers bool   `gorm:"not null;default:false"`
}

func (outboxServerRow) TableName() string { return "outbox_servers" }

// serveAtLeast is the shortest a dispatcher's record of its platforms
// lasts: longer than the dispatcher sleeps when nothing is due
// (outbox.DefaultIdle, 30 s), so that a record made at one round is still
// there at the next, renewed, whatever the lease.
const serveAtLeast = time.Minute

// servedLately is how long after its last replica stopped a platform
// still gets its part of the messages for every platform (OtherPlatforms),
// as long as the outbox retries a failing message (outbox.Config's
// GiveUpAfter default): its replica may be restarting, or down a while.
const servedLately = 24 * time.Hour

// outboxServers remembers when this process last recorded each of its
// workers' platforms, so that a worker's rounds record them once every
// third of their lifetime, not at every round, and on which of them each
// worker has a managers' channel (ManagersChannels).
type outboxServers struct {
	mu sync.Mutex
	at map[string]time.Time
	// managers are, per worker that said (ManagersChannels), the
	// platforms on which it has a managers' channel; a worker missing
	// here may have one on each.
	managers map[string]map[string]bool
}

// noManagers reports whether worker said it has no managers' channel on
// platform (outboxServerRow.NoManagers).
func (o *outboxServers) noManagers(worker, platform string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	on, said := o.managers[worker]
	return said && !on[platform]
}

// setManagers records that worker has a managers' channel on platforms
// and none on its others, and makes its platforms due to be recorded at
// its next round.
func (o *outboxServers) setManagers(worker string, platforms []string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.managers == nil {
		o.managers = map[string]map[string]bool{}
	}
	on := map[string]bool{}
	for _, p := range platforms {
		on[p] = true
	}
	o.managers[worker] = on
	delete(o.at, worker)
}

// due reports whether worker's platforms are to be recorded again at now,
// for a record of ttl, and if so notes now as the time they were.
func (o *outboxServers) due(worker string, now time.Time, ttl time.Duration) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if last, ok := o.at[worker]; ok && !now.Before(last) && now.Sub(last) < ttl/3 {
		return false
	}
	if o.at == nil {
		o.at = map[string]time.Time{}
	}
	o.at[worker] = now
	return true
}

// forget makes worker's platforms due to be recorded at its next round.
func (o *outboxServers) forget(worker string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.at, worker)
}

// ServeOutbox records that worker takes the chat messages of platforms
// until now plus lease (serveAtLeast at least), as TakeOutbox does at the
// start of a round: a dispatcher calls it while a round runs too, so that
// a round longer than its record does not leave the record ended while
// the replica still serves its platforms (DropPendingOutbox deletes an
// ended record, after which OtherPlatforms no longer counts the
// platform). It writes only when a third of the last record's time has
// passed. It returns a wrapped error when the record cannot be written.
func (s *Store) ServeOutbox(ctx context.Context, worker string, now time.Time, lease time.Duration, platforms ...string) error {
	if err := s.serveOutbox(ctx, worker, platforms, now, lease); err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	return nil
}

// serveOutbox records that worker takes the chat messages of platforms
// until now plus lease (serveAtLeast at least), when a third of its last
// record's time has passed, and removes the records that ended
// servedLately ago.
func (s *Store) serveOutbox(ctx context.Context, worker string, platforms []string, now time.Time, lease time.Duration) error {
	ttl := max(lease, serveAtLeast)
	if len(platforms) == 0 || !s.servers.due(worker, now, ttl) {
		return nil
	}
	rows := make([]outboxServerRow, len(platforms))
	for i, p := range platforms {
		rows[i] = outboxServerRow{Worker: worker, Platform: p, UntilMs: ms(now.Add(ttl)), NoManagers: s.servers.noManagers(worker, p)}
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("until_ms <= ?", ms(now.Add(-servedLately))).Delete(&outboxServerRow{}).Error; err != nil {
			return err
		}
		return tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "worker"}, {Name: "platform"}},
			DoUpdates: clause.AssignmentColumns([]string{"until_ms", "no_managers"})}).Create(&rows).Error
	})
	if err != nil {
		s.servers.forget(worker)
		return fmt.Errorf("record the platforms %s serves: %w", worker, err)
	}
	return nil
}

// OtherPlatforms returns the platforms outside platforms that a replica
// served within servedLately of now (on the database's clock), sorted,
// running or not: the others a message for every platform goes to. It
// returns a wrapped error when the records cannot be read.
func (s *Store) OtherPlatforms(ctx context.Context, now time.Time, platforms []string) ([]string, error) {
	var others []string
	q := s.db.WithContext(ctx).Model(&outboxServerRow{}).Distinct("platform").Where("until_ms > ?", ms(now.Add(-servedLately)))
	if len(platforms) > 0 {
		q = q.Where("platform NOT IN ?", platforms)
	}
	if err := q.Order("platform").Pluck("platform", &others).Error; err != nil {
		return nil, fmt.Errorf("storage: platforms other replicas serve: %w", err)
	}
	return others, nil
}

// ManagersChannels records that worker has a managers' channel on
// platforms (those of the platforms it serves that have one) and none on
// the other platforms it serves: its records (ServeOutbox, TakeOutbox) say
// so from its next round on, for every replica's SLA clock to read
// (ManagersChannelServed). A worker never named here is recorded as
// maybe having one on each platform it serves. It writes nothing itself.
func (s *Store) ManagersChannels(worker string, platforms ...string) {
	s.servers.setManagers(worker, platforms)
}

// ManagersChannelServed reports whether a replica that serves, or served
// within servedLately of now, a platform has, or may have, a managers'
// channel there: it said so (ManagersChannels), or it did not say (an
// older replica, or a row from before the column: outboxServerRow). An
// escalation then may be posted by someone, and the SLA clock queues it.
// It returns a wrapped error when the records cannot be read.
func (s *Store) ManagersChannelServed(ctx context.Context, now time.Time) (bool, error) {
	var workers []string
	err := s.db.WithContext(ctx).Model(&outboxServerRow{}).Where("until_ms > ? AND no_managers = ?", ms(now.Add(-servedLately)), false).
		Limit(1).Pluck("worker", &workers).Error
	if err != nil {
		return false, fmt.Errorf("storage: managers' channels of the replicas: %w", err)
	}
	return len(workers) > 0, nil
}

// LeaveOutbox ends worker's record of the platforms it serves at now, as
// it stops. Its platforms still get their part of the messages for every
// platform for servedLately (OtherPlatforms), which waits for the next
// replica serving them.
func (s *Store) LeaveOutbox(ctx context.Context, worker string, now time.Time) error {
	s.servers.forget(worker)
	err := s.write.WithContext(ctx).Model(&outboxServerRow{}).Where("worker = ? AND until_ms > ?", worker, ms(now)).
		Update("until_ms", ms(now)).Error
	if err != nil {
		return fmt.Errorf("storage: leave outbox %s: %w", worker, err)
	}
	return nil
}
