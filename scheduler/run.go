package scheduler

import (
	"context"
	"fmt"
	"time"
)

// Wake makes the scheduler look at the deadlines again now (a new lead may
// have an earlier one than it is sleeping towards). It never blocks.
func (s *Scheduler) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run keeps the clock until ctx ends. While another replica holds the lease
// it only retries the lease. The lease is renewed once a third of its TTL
// has passed, not on every tick: each wake (every commit that queues chat
// work wakes the clock) would otherwise write it.
func (s *Scheduler) Run(ctx context.Context) error {
	renew := s.cfg.LeaseTTL / 3
	held := false
	defer func() {
		_ = s.cfg.Store.ReleaseLease(context.WithoutCancel(ctx), LeaseName, s.cfg.Holder)
		if held {
			s.cfg.Metrics.SchedulerLease(false)
		}
	}()
	var renewed time.Time // when the lease held was last taken or renewed
	for {
		yield := s.cfg.Yield
		s.yield(ctx, &yield)
		now := s.cfg.Now()
		if !held || now.Sub(renewed) >= renew || now.Before(renewed) {
			ok, err := s.cfg.Store.AcquireLease(ctx, LeaseName, s.cfg.Holder, now, s.cfg.LeaseTTL)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if err != nil {
				s.cfg.Logger.Warn("scheduler: lease", "err", err)
			}
			if ok != held {
				s.cfg.Logger.Info("scheduler: lease", "held", ok, "holder", s.cfg.Holder)
				s.cfg.Metrics.SchedulerLease(ok)
				held = ok
			}
			renewed = now
		}
		next := renewed.Add(renew)
		ticked := time.Now()
		if held {
			due, err := s.safeTick(ctx, yield)
			switch {
			case err == nil:
				s.cfg.Metrics.SchedulerTicked(time.Now())
			case ctx.Err() == nil:
				s.cfg.Logger.Error("scheduler: tick", "err", err)
				due = s.cfg.Now().Add(time.Second)
			}
			if !due.IsZero() && due.Before(next) {
				next = due
			}
		}
		if err := s.sleepUntil(ctx, next, ticked); err != nil {
			return err
		}
	}
}

// wakeGap is the least time between a tick and the next one that a Wake
// starts: every commit that queues chat work wakes the clock, and one tick
// serves a burst of them.
const wakeGap = 100 * time.Millisecond

// sleepUntil returns at t (by Now), when ctx ends, or after a Wake but no
// sooner than wakeGap (of real time) after ticked.
func (s *Scheduler) sleepUntil(ctx context.Context, t time.Time, ticked time.Time) error {
	d := t.Sub(s.cfg.Now())
	if d < 0 {
		d = 0
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	case <-s.wake:
	}
	gap := time.NewTimer(wakeGap - time.Since(ticked))
	defer gap.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
	case <-gap.C:
	}
	return nil
}

// safeTick runs a tick with yield left of its Yield, turning a panic into
// an error (logged and counted like a worker panic) so that the clock
// keeps running for every other lead and job: Run retries a second later.
func (s *Scheduler) safeTick(ctx context.Context, yield time.Duration) (due time.Time, err error) {
	defer func() {
		if p := recover(); p != nil {
			s.cfg.Metrics.WorkerPanic("scheduler")
			err = fmt.Errorf("scheduler: tick panicked: %v", p)
		}
	}()
	return s.tick(ctx, yield)
}
