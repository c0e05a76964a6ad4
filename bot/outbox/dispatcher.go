// Package outbox is the durable outbox worker: it leases the chat work the
// flows, the intake and the SLA clock queued (handoff.Outbox* kinds),
// delivers each message through its platform, and completes, retries or
// gives it up.
package outbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/internal/busy"
	"github.com/handoff/handoff/internal/sleep"
)

// Store is what the Dispatcher needs from storage; *storage.Store
// implements it.
type Store interface {
	TakeOutbox(ctx context.Context, now time.Time, limit int, lease time.Duration, worker string, platforms ...string) ([]handoff.OutboxMessage, error)
	ServeOutbox(ctx context.Context, worker string, now time.Time, lease time.Duration, platforms ...string) error
	UnservedOutbox(ctx context.Context, now, dueBy time.Time, platforms []string) (map[string]int64, error)
	OtherPlatforms(ctx context.Context, now time.Time, platforms []string) ([]string, error)
	RenewOutbox(ctx context.Context, m handoff.OutboxMessage, until time.Time) error
	CompleteOutbox(ctx context.Context, m handoff.OutboxMessage, now time.Time, result string, posts ...handoff.ChatPost) error
	RecordOutbox(ctx context.Context, outcomes ...handoff.OutboxOutcome) []error
	NextOutboxDueFor(ctx context.Context, worker string, now time.Time, platforms ...string) (time.Time, bool, error)
	LeaveOutbox(ctx context.Context, worker string, now time.Time) error
	ManagersChannels(worker string, platforms ...string)
	ManagersElsewhere(ctx context.Context, now time.Time, platforms []string) ([]string, error)
	ManagersChannelServed(ctx context.Context, now time.Time) (bool, error)
	HastenOutbox(ctx context.Context, platform string, now time.Time) (int64, error)
	RetryRefusedOutbox(ctx context.Context, place string, now time.Time, platforms ...string) (int64, error)
	RefusedPlaces(ctx context.Context) ([]string, error)
	Enqueue(ctx context.Context, now time.Time, msgs ...handoff.OutboxMessage) error
	Lead(ctx context.Context, id int64) (*handoff.Lead, error)
	ChatPosts(ctx context.Context, leadID int64) ([]handoff.ChatPost, error)
	LeadMessages(ctx context.Context, leadID int64) ([]handoff.ChatPost, error)
	NoteShown(ctx context.Context, platform, messageID string) (string, error)
	SetNoteShown(ctx context.Context, platform, messageID, was, shown string, anyWas bool) (bool, error)
	Events(ctx context.Context, leadID int64) ([]handoff.Event, error)
	SLACycle(ctx context.Context, leadID int64, sqlAt time.Time) (handoff.SLACycle, error)
	UpdateLead(ctx context.Context, id int64, now time.Time, fn func(l *handoff.Lead) (handoff.LeadChange, error)) (*handoff.Lead, error)
}

// DefaultIdle is Config.Idle's default: what another process queues (handoff
// outbox retry, handoff chat test) is taken within it.
const DefaultIdle = 30 * time.Second

// Config is what New needs. Store and Targets are
// required; zero durations take the defaults named.
type Config struct {
	Store   Store
	Targets []bot.Target // one per enabled platform
	Policy  handoff.Policy
	Now     func() time.Time // clock; time.Now when nil
	Logger  *slog.Logger
	// Worker names this dispatcher in outbox leases; host-pid-random when "".
	Worker string
	// Batch is how many messages one round leases (default 20).
	Batch int
	// Lease is how long a leased message stays invisible to other workers
	// (default 2 min); a crashed worker's messages come back after it. The
	// lease of the message being sent is renewed when its turn comes and
	// every third of Lease while it is sent, so it outlives its calls.
	Lease time.Duration
	// CallTimeout bounds one platform call (default 20 s).
	CallTimeout time.Duration
	// BaseBackoff and MaxBackoff bound the exponential backoff after a
	// transient failure (defaults 1 s and 5 min); jitter is added.
	BaseBackoff, MaxBackoff time.Duration
	// GiveUpAfter is how long a message that keeps failing transiently
	// (errors, 5xx) is retried, from its first failure since it was
	// created or requeued (OutboxMessage.FailingSince), before it is given
	// up (default 24 h). A rate limit is a hold, not a failure
	// (OutboxOutcome.Held): it never gives a message up, and its wait is
	// not counted.
	GiveUpAfter time.Duration
	// Idle is the longest the worker sleeps when nothing is due, as a safety
	// net for messages queued by another process without Wake (default
	// DefaultIdle).
	Idle time.Duration
	// OnCall observes every platform call: its method, outcome ("ok",
	// "rate_limited", "permanent", "retry") and duration. May be nil.
	OnCall func(platform, method, outcome string, d time.Duration)
	// OnParked observes every message set aside (dead) because it cannot
	// be delivered: a permanent error, a panic, or retrying too long. May
	// be nil.
	OnParked func(kind string)
	// Route takes the routing step due for a lead (handoff.OutboxRouteLead
	// messages, see bot.Bot.Route); nil leaves those messages to the
	// scheduler, which finds due routing steps by itself.
	Route func(ctx context.Context, leadID int64) error
	// Homes builds the homes that platforms with one (bot.HomePublisher)
	// show; nil leaves homes unpublished.
	Homes bot.HomeBuilder
	// Interactive counts the requests people are waiting on (claim clicks,
	// commands). While any is in flight the worker takes no new batch and
	// starts no next message, so that acknowledgements do not queue behind
	// its database writes and platform calls; it holds back at most Yield
	// per round (default 250 ms), so a steady stream of requests slows the
	// outbox down but cannot stop it. Nil never holds back.
	Interactive *busy.Gate
	Yield       time.Duration
	// Ticker starts the ticker that paces the lease renewals of a message
	// being sent (every third of Lease), and of the record of the
	// platforms this dispatcher serves with them (serving.go), and returns
	// its channel and its stop function; a time.Ticker when nil. Tests
	// tick it themselves.
	Ticker func(every time.Duration) (<-chan time.Time, func())
}

// Dispatcher is the durable outbox worker: it leases due outbox messages,
// delivers each through its platform, and completes, retries or fails it.
// A message the platform acknowledged is completed in the same transaction
// that stores the returned message id, so it is never sent twice. Every
// outcome is recorded only while this worker still holds the message's
// lease; a worker that lost it (to another replica) records no outcome,
// only the chat posts the platform made for it meanwhile (see
// storage.Store.RecordOutbox), so that erasing their lead reaches them.
type Dispatcher struct {
	cfg       Config
	logger    *slog.Logger
	platforms map[string]bot.Target
	served    []string // the names of platforms, sorted: the messages it takes (unserved.go)
	wake      chan struct{}

	mu    sync.Mutex
	holds map[string]time.Time // "platform/op" → no calls before
	// health is what the calls tell of each platform (recovery.go).
	health map[string]*platformHealth
	// seen is the round's readings of keyed posts by platform/channel, and
	// findWarned when each platform's inability to read them was last
	// logged (postonce.go).
	seen       map[string]keyedPosts
	findWarned map[string]time.Time
	// refused holds the places whose refusal gave up messages still dead,
	// as read from the store before the first round and every Idle since
	// (refusedRead, when last), so that another replica's refusals are
	// known too, and learnt from this worker's own outcomes (refused.go).
	refused     map[string]bool
	refusedRead time.Time
	// back is when the platform last said the app was back in a place
	// (ChannelBack), and taken when the current round took its messages:
	// a refusal recorded after the app came back is undone at once.
	back  map[string]time.Time
	taken time.Time
	// unservedRead is when the messages for platforms no replica serves
	// were last looked for (unserved.go).
	unservedRead time.Time
}

// New returns a Dispatcher over cfg.
func New(cfg Config) *Dispatcher {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.Lease, 2*time.Minute)
	def(&cfg.CallTimeout, 20*time.Second)
	def(&cfg.BaseBackoff, time.Second)
	def(&cfg.MaxBackoff, 5*time.Minute)
	def(&cfg.GiveUpAfter, 24*time.Hour)
	def(&cfg.Idle, DefaultIdle)
	def(&cfg.Yield, 250*time.Millisecond)
	if cfg.Ticker == nil {
		cfg.Ticker = func(every time.Duration) (<-chan time.Time, func()) {
			t := time.NewTicker(every)
			return t.C, t.Stop
		}
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 20
	}
	if cfg.Worker == "" {
		host, _ := os.Hostname()
		var b [4]byte
		_, _ = rand.Read(b[:])
		cfg.Worker = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	d := &Dispatcher{cfg: cfg, logger: logger, platforms: map[string]bot.Target{}, wake: make(chan struct{}, 1),
		holds: map[string]time.Time{}, health: map[string]*platformHealth{}, seen: map[string]keyedPosts{}, findWarned: map[string]time.Time{},
		refused: map[string]bool{}, back: map[string]time.Time{}}
	var managers []string
	for _, t := range cfg.Targets {
		d.platforms[t.Platform.Name()] = t
		if t.ManagerChannel != "" {
			managers = append(managers, t.Platform.Name())
		}
	}
	d.served = slices.Sorted(maps.Keys(d.platforms))
	// The records of the platforms it serves say where it has a managers'
	// channel, for the SLA clocks of every replica (cmd/handoff's unsent).
	if cfg.Store != nil {
		cfg.Store.ManagersChannels(cfg.Worker, managers...)
	}
	return d
}

// Wake makes a running dispatcher look at the outbox now. It never blocks.
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run delivers outbox messages until ctx ends, then returns nil once the
// message being sent (if any) is finished and recorded, the rest of its
// batch given back (RunOnce) and its record of the platforms it serves
// ended (storage's LeaveOutbox; their parts of the messages for every
// platform wait for the next replica serving them). It sleeps until the
// next message is due or Wake is called, not on a fixed poll.
func (d *Dispatcher) Run(ctx context.Context) error {
	defer d.leave(ctx)
	failures := 0
	for {
		n, err := d.RunOnce(ctx)
		if ctx.Err() != nil {
			return nil
		}
		var wait time.Duration
		switch {
		case err != nil:
			failures++
			wait = d.backoff(failures)
			d.logger.ErrorContext(ctx, "outbox: round failed", "err", err, "retry_in", wait)
		case n >= d.cfg.Batch:
			failures = 0
			continue
		default:
			failures = 0
			wait = d.untilNextDue(ctx)
		}
		if wait <= 0 {
			continue
		}
		if !sleep.Until(ctx, wait, d.wake) {
			return nil
		}
	}
}

// leave ends the worker's record of the platforms it serves, as Run
// returns.
func (d *Dispatcher) leave(ctx context.Context) {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := d.cfg.Store.LeaveOutbox(wctx, d.cfg.Worker, d.cfg.Now().UTC()); err != nil {
		d.logger.WarnContext(ctx, "outbox: the record of the platforms this replica serves is not ended; it runs out by itself", "err", err)
	}
}

// nextDue is when the next message this worker takes is due, and false
// when there is none (storage's NextOutboxDueFor). For a worker that
// leaves managers' work to a replica with a managers' channel, it is the
// end of that replica's record when that comes first: should the replica
// die, this worker takes the work as its record runs out, not up to Idle
// later.
func (d *Dispatcher) nextDue(ctx context.Context) (time.Time, bool, error) {
	return d.cfg.Store.NextOutboxDueFor(ctx, d.cfg.Worker, d.cfg.Now().UTC(), d.served...)
}

// untilNextDue is how long to sleep before the next message is due,
// at most Idle.
func (d *Dispatcher) untilNextDue(ctx context.Context) time.Duration {
	next, ok, err := d.nextDue(ctx)
	if err != nil {
		d.logger.ErrorContext(ctx, "outbox: next due", "err", err)
		return d.cfg.Idle
	}
	if !ok {
		return d.cfg.Idle
	}
	wait := next.Sub(d.cfg.Now())
	if wait <= 0 {
		// Due but not taken (another worker holds it): do not spin.
		return 50 * time.Millisecond
	}
	return min(wait, d.cfg.Idle)
}
