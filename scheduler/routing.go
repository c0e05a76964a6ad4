package scheduler

import (
	"context"
	"errors"
	"time"
)

// RouteClock finds routing steps by their due time, by index: no scan of
// all leads per tick. *storage.Store implements it.
type RouteClock interface {
	// NextRouteDue returns when the next routing step falls due.
	NextRouteDue(ctx context.Context) (time.Time, bool, error)
	// DueRoutes returns up to limit leads with a routing step due at now.
	DueRoutes(ctx context.Context, now time.Time, limit int) ([]int64, error)
}

// routeTick takes the routing steps due at now, a batch at a time, and
// returns when the next one falls due (zero when none is pending). A lead
// whose step fails is logged and retried at the next tick; the others go on.
func (s *Scheduler) routeTick(ctx context.Context, now time.Time) (time.Time, error) {
	if s.cfg.Routes == nil || s.cfg.Route == nil {
		return time.Time{}, nil
	}
	ids, err := s.cfg.Routes.DueRoutes(ctx, now, fireBatch)
	if err != nil {
		return time.Time{}, err
	}
	var errs []error
	for _, id := range ids {
		if err := s.cfg.Route(ctx, id); err != nil {
			if ctx.Err() != nil {
				return time.Time{}, ctx.Err()
			}
			s.cfg.Logger.Error("scheduler: routing step failed", "lead", id, "err", err)
			errs = append(errs, err)
		}
	}
	next, ok, err := s.cfg.Routes.NextRouteDue(ctx)
	if err != nil {
		return time.Time{}, err
	}
	if len(errs) > 0 {
		return now.Add(time.Second), errors.Join(errs...)
	}
	if !ok {
		return time.Time{}, nil
	}
	return next, nil
}
