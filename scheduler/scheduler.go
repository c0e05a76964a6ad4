// Package scheduler runs Handoff's clock: it fires SLA reminders and
// escalations when they fall due, rescores leads whose score decays, and
// queues the weekly digest on its cron schedule. Deadlines live in the
// database, so nothing is lost across restarts; a lease makes exactly one
// replica run it.
package scheduler

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	cron "github.com/netresearch/go-cron"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/internal/busy"
	"github.com/handoff/handoff/metrics"
)

// Store is what the scheduler needs from storage.
type Store interface {
	AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error)
	ReleaseLease(ctx context.Context, name, holder string) error
	NextSLADue(ctx context.Context) (time.Time, bool, error)
	FireSLA(ctx context.Context, now time.Time, policy handoff.Policy, limit int, unsent ...string) ([]handoff.SLAAction, []handoff.Parked, error)
	NextDecayDue(ctx context.Context) (time.Time, bool, error)
	RescoreDecayed(ctx context.Context, now time.Time, policy handoff.Policy, limit int) (int, []handoff.Parked, error)
	LastRun(ctx context.Context, name string) (time.Time, bool, error)
	StartSchedule(ctx context.Context, name string, at time.Time) error
	FireSchedule(ctx context.Context, name, once string, due, now time.Time, msg handoff.OutboxMessage) (bool, error)
	MarkRun(ctx context.Context, name string, at time.Time) error
	PurgeExpired(ctx context.Context, cutoff time.Time, policy handoff.Policy, now time.Time) (int, error)
	PruneProcessed(ctx context.Context, before time.Time) (int64, error)
	PruneExpiredReplies(ctx context.Context, now time.Time) (int64, error)
	PruneOutbox(ctx context.Context, before time.Time) (int64, error)
}

// Names of the lease and the schedule in the database.
const (
	LeaseName  = "scheduler"
	DigestName = "digest.weekly"
	PurgeName  = "retention.purge"
	// MaintenanceName is the daily housekeeping run (pruning old Slack event
	// ids, expired Slack response_urls and sent outbox messages).
	MaintenanceName = "maintenance"
)

// Config configures a Scheduler.
type Config struct {
	Store  Store
	Policy handoff.Policy
	Now    func() time.Time // default time.Now
	Logger *slog.Logger
	// Holder names this replica in the lease (default host name + random suffix).
	Holder string
	// LeaseTTL is how long the lease lasts without renewal (default 15 s): a
	// dead holder is replaced after at most this long.
	LeaseTTL time.Duration
	// Metrics records breaches, reminders and lag; may be nil.
	Metrics *metrics.Metrics
	// Routes finds the routing steps that fall due (offers that run out,
	// waiting leads, new SQLs under round-robin routing) and Route takes
	// one; both nil without routing.
	Routes RouteClock
	Route  func(ctx context.Context, leadID int64) error
	// Interactive counts the requests people are waiting on (claim clicks,
	// commands); a tick waits while any is in flight, for at most Yield, so
	// that a burst of clicks, each of which wakes the clock, meets one tick
	// after it instead of one per commit; and a tick with more SLA timers
	// due than a batch waits likewise between batches, as the outbox's
	// dispatcher does between messages, so that the clicks do not queue
	// behind a backlog of escalations (an import of overdue SQLs). nil
	// never waits.
	Interactive *busy.Gate
	// Yield bounds those waits (default 250 ms), together, a tick: timers
	// fire at most that much later.
	Yield time.Duration
	// Unsent returns the kinds of chat message that no replica delivers
	// at now (handoff.OutboxEscalate when no platform has a managers'
	// channel), asked before each batch of SLA timers: the batch records
	// its breaches and reminders, refreshes the cards and reminds the
	// owners, and queues no message of those kinds (Store.FireSLA). It is
	// the chat configuration's, which cmd/handoff wires, not the
	// agreement's. nil queues every kind.
	Unsent func(ctx context.Context, now time.Time) ([]string, error)
}

// Scheduler fires due SLA timers and the weekly digest.
type Scheduler struct {
	cfg    Config
	digest cron.Schedule
	wake   chan struct{}
}

// New returns a scheduler, or an error when the digest schedule is not valid
// cron or never runs.
func New(cfg Config) (*Scheduler, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = 15 * time.Second
	}
	if cfg.Yield <= 0 {
		cfg.Yield = 250 * time.Millisecond
	}
	if cfg.Holder == "" {
		host, _ := os.Hostname()
		var b [4]byte
		_, _ = rand.Read(b[:])
		cfg.Holder = host + "-" + hex.EncodeToString(b[:])
	}
	spec := cmp.Or(cfg.Policy.DigestSchedule, handoff.DefaultDigestSchedule)
	sched, err := cron.ParseStandard(spec)
	if err != nil {
		return nil, fmt.Errorf("scheduler: digest schedule %q: %w", spec, err)
	}
	// A schedule no date matches would make digestTick look for its
	// next run forever, and with it stop the SLA clock.
	if sched.Next(cfg.Now()).IsZero() {
		return nil, fmt.Errorf("scheduler: digest schedule %q never runs", spec)
	}
	return &Scheduler{cfg: cfg, digest: sched, wake: make(chan struct{}, 1)}, nil
}

// fireBatch bounds the leads handled per transaction.
const fireBatch = 200

// Tick fires everything due now (SLA timers, decayed scores, the digest,
// the daily jobs) and returns when the next thing falls due
// (zero when nothing is pending). Run calls it; tests call it with a fixed clock.
// The SLA timers, the digest and the daily jobs run independently: one
// failing does not hold off the others, and a lead that cannot be processed
// is parked (logged and counted) while the others' timers fire.
func (s *Scheduler) Tick(ctx context.Context) (time.Time, error) {
	return s.tick(ctx, s.cfg.Yield)
}

// tick is Tick with what is left of the tick's Yield: how long it may
// still wait for interactive requests between batches of SLA timers.
func (s *Scheduler) tick(ctx context.Context, yield time.Duration) (time.Time, error) {
	now := s.cfg.Now()
	slaErr := s.slaTick(ctx, now, yield)
	decayErr := s.decayTick(ctx, now)
	next, digestErr := s.digestTick(ctx, now)
	purgeDue, purgeErr := s.purgeTick(ctx, now)
	if !purgeDue.IsZero() && (next.IsZero() || purgeDue.Before(next)) {
		next = purgeDue
	}
	routeDue, routeErr := s.routeTick(ctx, now)
	if !routeDue.IsZero() && (next.IsZero() || routeDue.Before(next)) {
		next = routeDue
	}
	due, ok, dueErr := s.cfg.Store.NextSLADue(ctx)
	if ok && (next.IsZero() || due.Before(next)) {
		next = due
	}
	decay, ok, decayDueErr := s.cfg.Store.NextDecayDue(ctx)
	if ok && (next.IsZero() || decay.Before(next)) {
		next = decay
	}
	if err := errors.Join(slaErr, decayErr, digestErr, purgeErr, routeErr, dueErr, decayDueErr); err != nil {
		return time.Time{}, err
	}
	return next, nil
}

// slaTick fires the due SLA timers in batches. Before each batch after
// the first it waits while interactive requests are in flight, out of
// yield. With nothing due (a tick to renew the lease, or woken by a
// commit) it reads only the next due time, three index entries, and
// opens no write transaction.
func (s *Scheduler) slaTick(ctx context.Context, now time.Time, yield time.Duration) error {
	due, ok, err := s.cfg.Store.NextSLADue(ctx)
	if err != nil {
		return err
	}
	if !ok || due.After(now) {
		return nil
	}
	for first := true; ; first = false {
		if !first {
			s.yield(ctx, &yield)
		}
		var unsent []string
		if s.cfg.Unsent != nil {
			if unsent, err = s.cfg.Unsent(ctx, now); err != nil {
				return err
			}
		}
		fired, parked, err := s.cfg.Store.FireSLA(ctx, now, s.cfg.Policy, fireBatch, unsent...)
		if err != nil {
			return err
		}
		for _, p := range parked {
			s.cfg.Logger.Error("scheduler: lead parked: its SLA timers are skipped until it changes", "lead", p.ID, "cause", p.Cause)
			s.cfg.Metrics.Parked("scheduler")
		}
		for _, a := range fired {
			s.cfg.Logger.Info("scheduler: SLA", "action", a.Kind, "due", a.Due)
			if !a.Overdue { // due before Handoff set its deadline: not the clock's lateness
				s.cfg.Metrics.SchedulerLag(now.Sub(a.Due))
			}
			switch a.Kind {
			case handoff.SLARemind:
				s.cfg.Metrics.SLAReminder()
			case handoff.SLAEscalateClaim:
				s.cfg.Metrics.SLABreach("claim")
			case handoff.SLAEscalateContact:
				s.cfg.Metrics.SLABreach("contact")
			}
		}
		if len(fired)+len(parked) < fireBatch {
			return nil
		}
	}
}

// yield waits while interactive requests are in flight, out of budget.
func (s *Scheduler) yield(ctx context.Context, budget *time.Duration) {
	if *budget <= 0 || s.cfg.Interactive.InFlight() == 0 {
		return
	}
	start := time.Now()
	s.cfg.Interactive.Wait(ctx, *budget)
	*budget -= time.Since(start)
}

// decayTick rescores, in batches, the leads whose score changes now by
// time alone (an activity stopped counting): their stored score, its
// explanation and their cards follow without the lead changing.
func (s *Scheduler) decayTick(ctx context.Context, now time.Time) error {
	for {
		seen, parked, err := s.cfg.Store.RescoreDecayed(ctx, now, s.cfg.Policy, fireBatch)
		if err != nil {
			return err
		}
		for _, p := range parked {
			s.cfg.Logger.Error("scheduler: lead could not be rescored: its decay is skipped until it changes", "lead", p.ID, "cause", p.Cause)
			s.cfg.Metrics.Parked("scheduler")
		}
		if seen < fireBatch {
			return nil
		}
	}
}

// digestTick queues the digest when its scheduled time has passed since the
// last run, and returns the next scheduled time.
func (s *Scheduler) digestTick(ctx context.Context, now time.Time) (time.Time, error) {
	loc := s.cfg.Policy.Location
	if loc == nil {
		loc = time.UTC
	}
	if err := s.cfg.Store.StartSchedule(ctx, DigestName, now); err != nil {
		return time.Time{}, err
	}
	last, _, err := s.cfg.Store.LastRun(ctx, DigestName)
	if err != nil {
		return time.Time{}, err
	}
	due := s.nextDigest(last.In(loc))
	if due.After(now) {
		return due, nil
	}
	// Catch up only to the latest missed run: one digest, not one per missed week.
	for n := s.nextDigest(due); !n.After(now); n = s.nextDigest(n) {
		due = n
	}
	req := DigestFor(due, loc)
	payload, err := json.Marshal(req)
	if err != nil {
		return time.Time{}, err
	}
	// Once per reported week: a schedule moved later on the day it ran
	// (the agreement edited) does not send the same week again.
	fired, err := s.cfg.Store.FireSchedule(ctx, DigestName, req.Week, due, now, handoff.OutboxMessage{Kind: handoff.OutboxDigest, Payload: string(payload)})
	if err != nil {
		return time.Time{}, err
	}
	if fired {
		s.cfg.Logger.Info("scheduler: digest queued", "due", due)
	}
	return s.nextDigest(due), nil
}

// nextDigest is the digest's next scheduled time after t (in the policy's
// location). The cron library runs a time skipped by spring-forward right
// after the jump, but runs a wall-clock time that fall-back repeats twice;
// the repeat is skipped here so the digest goes out once.
func (s *Scheduler) nextDigest(t time.Time) time.Time {
	n := s.digest.Next(t)
	if sameWallClock(n, t.In(n.Location())) {
		n = s.digest.Next(n)
	}
	return n
}

// sameWallClock reports whether a and b show the same date and minute.
func sameWallClock(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd && a.Hour() == b.Hour() && a.Minute() == b.Minute()
}

// purgeEvery is how often the daily jobs run.
const purgeEvery = 24 * time.Hour

// dedupKeep is how long processed Slack event ids are remembered; Slack
// retries an event for well under an hour.
const dedupKeep = 72 * time.Hour

// OutboxKeep is how long sent outbox messages are kept (for a look at
// what went out lately) before the daily maintenance deletes them.
const OutboxKeep = 7 * 24 * time.Hour

// purgeTick runs the daily jobs that are due: erasing personal data past
// the policy's retention, pruning remembered event ids, the command
// answers whose response_url has expired and the outbox messages sent
// over OutboxKeep ago. It returns when the next one is due.
func (s *Scheduler) purgeTick(ctx context.Context, now time.Time) (time.Time, error) {
	next, err := s.daily(ctx, now, MaintenanceName, func() error {
		n, err := s.cfg.Store.PruneProcessed(ctx, now.Add(-dedupKeep))
		s.cfg.Logger.Info("scheduler: pruned processed event ids", "pruned", n)
		if err != nil {
			return err
		}
		n, err = s.cfg.Store.PruneExpiredReplies(ctx, now)
		s.cfg.Logger.Info("scheduler: pruned expired command answers", "pruned", n)
		if err != nil {
			return err
		}
		n, err = s.cfg.Store.PruneOutbox(ctx, now.Add(-OutboxKeep))
		s.cfg.Logger.Info("scheduler: pruned sent outbox messages", "pruned", n, "kept", OutboxKeep.String())
		return err
	})
	if err != nil || s.cfg.Policy.Retention <= 0 {
		return next, err
	}
	purgeNext, err := s.daily(ctx, now, PurgeName, func() error {
		n, err := s.cfg.Store.PurgeExpired(ctx, now.Add(-s.cfg.Policy.Retention), s.cfg.Policy, now)
		s.cfg.Logger.Info("scheduler: retention purge", "erased", n, "retention", s.cfg.Policy.Retention.String())
		return err
	})
	if purgeNext.Before(next) {
		next = purgeNext
	}
	return next, err
}

// daily runs job when the named daily job last ran a day or more ago (or
// never) and returns when it is due next.
func (s *Scheduler) daily(ctx context.Context, now time.Time, name string, job func() error) (time.Time, error) {
	last, ran, err := s.cfg.Store.LastRun(ctx, name)
	if err != nil {
		return time.Time{}, err
	}
	if ran && now.Sub(last) < purgeEvery {
		return last.Add(purgeEvery), nil
	}
	if err := job(); err != nil {
		return time.Time{}, err
	}
	if err := s.cfg.Store.MarkRun(ctx, name, now); err != nil {
		return time.Time{}, err
	}
	return now.Add(purgeEvery), nil
}

// DigestFor returns the week a digest sent at t reports on: the ISO week
// (Monday to Monday) before the one containing t in loc, the period
// "last-week" names (handoff.LastWeek), so the digest and /sla agree on it.
func DigestFor(t time.Time, loc *time.Location) handoff.DigestRequest {
	w := handoff.LastWeek(t, loc)
	return handoff.DigestRequest{Week: w.Label, Start: w.Start, End: w.End}
}
