package storage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/handoff/handoff"

	"gorm.io/gorm"
)

type leaseRow struct {
	Name    string `gorm:"primaryKey;size:100"`
	Holder  string `gorm:"size:200;not null"`
	UntilMs int64  `gorm:"not null"`
}

func (leaseRow) TableName() string { return "leases" }

type scheduleRunRow struct {
	Name   string `gorm:"primaryKey;size:100"`
	LastMs int64  `gorm:"not null"`
}

func (scheduleRunRow) TableName() string { return "schedule_runs" }

// AcquireLease takes or renews the named lease for holder until now+ttl. It
// returns true when holder has the lease: it was free, expired, or already
// holder's. With several replicas on one database exactly one holds it at a
// time; when the holder dies, another takes over once ttl has passed. now
// is on the database's clock (Clock), as every replica's is, so a replica
// whose own clock is off neither takes it early nor holds it too long.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error) {
	r := s.write.WithContext(ctx).Exec(`INSERT INTO leases (name, holder, until_ms) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until_ms = excluded.until_ms
		WHERE leases.until_ms < ? OR leases.holder = excluded.holder`,
		name, holder, ms(now.Add(ttl)), ms(now))
	if r.Error != nil {
		return false, fmt.Errorf("storage: acquire lease %s: %w", name, r.Error)
	}
	return r.RowsAffected == 1, nil
}

// ReleaseLease gives up holder's lease so another replica can take it at once.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	if err := s.write.WithContext(ctx).Exec(`DELETE FROM leases WHERE name = ? AND holder = ?`, name, holder).Error; err != nil {
		return fmt.Errorf("storage: release lease %s: %w", name, err)
	}
	return nil
}

// LastRun returns when the named schedule last fired, and false when it never has.
func (s *Store) LastRun(ctx context.Context, name string) (time.Time, bool, error) {
	var row scheduleRunRow
	err := s.db.WithContext(ctx).Where("name = ?", name).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("storage: last run of %s: %w", name, err)
	}
	return fromMs(row.LastMs), true, nil
}

// StartSchedule records at as the named schedule's last run if it has none,
// so a new deployment starts counting from now instead of catching up.
func (s *Store) StartSchedule(ctx context.Context, name string, at time.Time) error {
	err := s.write.WithContext(ctx).Exec(`INSERT INTO schedule_runs (name, last_ms) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`, name, ms(at)).Error
	if err != nil {
		return fmt.Errorf("storage: start schedule %s: %w", name, err)
	}
	return nil
}

// FireSchedule marks the named schedule's run due at due as done and queues
// msg, in one transaction, unless that run (or a later one) already fired.
// A run with a once key (the digest's week) queues msg only the first time
// that key fires, so that a schedule moved to a later time of the same day
// does not send the same week again; the run is marked done all the same.
// It returns whether this call queued msg.
func (s *Store) FireSchedule(ctx context.Context, name, once string, due, now time.Time, msg handoff.OutboxMessage) (bool, error) {
	fired := false
	err := s.write.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		r := tx.Exec(`UPDATE schedule_runs SET last_ms = ? WHERE name = ? AND last_ms < ?`, ms(due), name, ms(due))
		if r.Error != nil {
			return r.Error
		}
		if r.RowsAffected == 0 {
			return nil
		}
		if once != "" {
			r := tx.Exec(`INSERT INTO schedule_runs (name, last_ms) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`, name+" "+once, ms(due))
			if r.Error != nil {
				return r.Error
			}
			if r.RowsAffected == 0 {
				return nil // that week went out already
			}
		}
		fired = true
		return insertOutbox(tx, now, msg)
	})
	if err != nil {
		return false, fmt.Errorf("storage: fire schedule %s: %w", name, err)
	}
	if fired {
		s.queued(1)
	}
	return fired, nil
}

// MarkRun records at as the named schedule's last run.
func (s *Store) MarkRun(ctx context.Context, name string, at time.Time) error {
	err := s.write.WithContext(ctx).Exec(`INSERT INTO schedule_runs (name, last_ms) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET last_ms = excluded.last_ms`, name, ms(at)).Error
	if err != nil {
		return fmt.Errorf("storage: mark run of %s: %w", name, err)
	}
	return nil
}
