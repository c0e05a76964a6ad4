package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/handlers"
	"github.com/handoff/handoff/internal/sleep"
)

// Store is what delivery needs from storage.
type Store interface {
	TakeWebhooks(ctx context.Context, now time.Time, limit int, lease time.Duration, worker string) ([]handoff.OutboxMessage, error)
	NextWebhookDue(ctx context.Context) (time.Time, bool, error)
	CompleteOutbox(ctx context.Context, m handoff.OutboxMessage, now time.Time, result string, posts ...handoff.ChatPost) error
	RetryOutbox(ctx context.Context, m handoff.OutboxMessage, next time.Time, cause string) error
	FailOutbox(ctx context.Context, m handoff.OutboxMessage, now time.Time, cause string) error
	Lead(ctx context.Context, id int64) (*handoff.Lead, error)
	Events(ctx context.Context, leadID int64) ([]handoff.Event, error)
}

// GiveUpAfter is how long a message is retried before it is dead.
const GiveUpAfter = 24 * time.Hour

// Sender delivers webhook messages from the outbox.
type Sender struct {
	Store     Store
	Endpoints []Endpoint
	Client    *http.Client     // default: 10 s timeout
	Now       func() time.Time // time.Now when nil
	Logger    *slog.Logger     // slog.Default when nil
	Lease     time.Duration    // how long a message is held while sent; default 1 min
	Worker    string           // names this replica's leases
	Batch     int              // messages per round, default 32
	// Wall is the clock a message's signature is dated on (Now when nil):
	// serve gives it this machine's clock, which the receivers (NTP-synced)
	// check the timestamp against, while Now is the database's, on which
	// the outbox is kept; on the database's, a database clock off by more
	// than standardwebhooks.Tolerance had every message refused.
	Wall func() time.Time
	// Policy is the agreement the process runs under: a message's lead
	// shows its claim deadline as its SLA clock holds it when the message
	// is sent, as the API does (handlers.NewLeadJSON).
	Policy handoff.Policy

	once sync.Once
	wake chan struct{}
}

func (s *Sender) init() {
	s.once.Do(func() {
		s.wake = make(chan struct{}, 1)
		if s.Client == nil {
			s.Client = &http.Client{Timeout: 10 * time.Second}
		}
		if s.Now == nil {
			s.Now = time.Now
		}
		if s.Wall == nil {
			s.Wall = s.Now
		}
		if s.Logger == nil {
			s.Logger = slog.Default()
		}
		if s.Lease <= 0 {
			s.Lease = time.Minute
		}
		if s.Batch <= 0 {
			s.Batch = 32
		}
		if s.Worker == "" {
			s.Worker = fmt.Sprintf("webhooks-%d", rand.Int64())
		}
	})
}

// Wake makes Run look for new messages now.
func (s *Sender) Wake() {
	s.init()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends.
func (s *Sender) Run(ctx context.Context) error {
	s.init()
	for {
		n, err := s.RunOnce(ctx)
		if ctx.Err() != nil {
			return nil
		}
		wait := time.Minute
		switch {
		case err != nil:
			s.Logger.ErrorContext(ctx, "webhooks: round failed", "err", err)
			wait = 5 * time.Second
		case n >= s.Batch:
			continue
		default:
			if next, ok, err := s.Store.NextWebhookDue(ctx); err == nil && ok {
				wait = min(wait, max(0, next.Sub(s.Now())))
			}
		}
		if wait <= 0 {
			continue
		}
		if !sleep.Until(ctx, wait, s.wake) {
			return nil
		}
	}
}

// RunOnce takes the due messages and delivers them, each lead and endpoint
// in parallel, and returns how many it took.
func (s *Sender) RunOnce(ctx context.Context) (int, error) {
	s.init()
	msgs, err := s.Store.TakeWebhooks(ctx, s.Now().UTC(), s.Batch, s.Lease, s.Worker)
	if err != nil {
		return 0, err
	}
	var wg sync.WaitGroup
	for _, m := range msgs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.handle(ctx, m)
		}()
	}
	wg.Wait()
	return len(msgs), nil
}

// errPermanent marks a failure no retry can mend.
var errPermanent = errors.New("permanent")

// handle delivers one message and records the outcome.
func (s *Sender) handle(ctx context.Context, m handoff.OutboxMessage) {
	defer func() {
		if p := recover(); p != nil {
			s.record(ctx, m, "", fmt.Errorf("%w: panic: %v", errPermanent, p), 0)
		}
	}()
	answer, err := s.deliver(ctx, m)
	result := ""
	// An answer's error names the endpoint as Post's errors do, redacted:
	// the outbox's platform is only the key of its URL.
	where := m.Platform
	if ep := s.endpoint(m.Platform); ep != nil {
		where = ep.Redacted()
	}
	switch {
	case err != nil:
	case answer.Status >= 200 && answer.Status < 300:
		result = fmt.Sprintf("HTTP %d", answer.Status)
	default:
		retried := answer.Status == http.StatusTooManyRequests || answer.Status == http.StatusRequestTimeout || answer.Status >= 500
		err = &refusal{where: where, status: answer.Status, answer: answer.Body, permanent: !retried}
	}
	s.record(ctx, m, result, err, answer.RetryAfter)
}

// refusal is an endpoint's answer other than a 2xx. Its Error, which the
// log shows, names the endpoint, the status and the answer's length,
// never the answer: a receiver's answer can repeat the person it was sent
// (a validation error quoting an email), and the log outlives the
// person's erasure. The message's last error (stored) keeps the answer's
// first 200 characters for `handoff outbox list`; an erasure scrubs it.
type refusal struct {
	where     string // the endpoint, as Endpoint.Redacted shows it
	status    int
	answer    string
	permanent bool // not to be retried: errPermanent
}

func (r *refusal) Error() string {
	msg := fmt.Sprintf("webhook: post to %s: HTTP %d (answer of %d bytes)", r.where, r.status, len(r.answer))
	if r.permanent {
		return errPermanent.Error() + ": " + msg
	}
	return msg
}

// Unwrap is errPermanent for an answer not to be retried.
func (r *refusal) Unwrap() error {
	if r.permanent {
		return errPermanent
	}
	return nil
}

// stored is err as the message's last error keeps it: a refusal with
// the first 200 characters of the answer.
func stored(err error) string {
	var r *refusal
	if errors.As(err, &r) && r.answer != "" {
		return fmt.Sprintf("%s: %.200s", err, r.answer)
	}
	return err.Error()
}

// record stores the outcome even when ctx ended meanwhile.
func (s *Sender) record(ctx context.Context, m handoff.OutboxMessage, result string, err error, retryAfter time.Duration) {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	now := s.Now().UTC()
	var rerr error
	switch {
	case err == nil:
		rerr = s.Store.CompleteOutbox(wctx, m, now, result)
	case errors.Is(err, errPermanent):
		s.Logger.WarnContext(ctx, "webhooks: message dead", "id", m.ID, "endpoint", m.Platform, "err", err)
		rerr = s.Store.FailOutbox(wctx, m, now, stored(err))
	default:
		next := now.Add(max(retryAfter, backoff(m.Attempts)))
		if next.Sub(m.Since()) > GiveUpAfter {
			s.Logger.WarnContext(ctx, "webhooks: message dead after 24 h", "id", m.ID, "endpoint", m.Platform, "err", err)
			rerr = s.Store.FailOutbox(wctx, m, now, "gave up after 24 h: "+stored(err))
			break
		}
		s.Logger.InfoContext(ctx, "webhooks: retry", "id", m.ID, "endpoint", m.Platform, "err", err, "at", next)
		rerr = s.Store.RetryOutbox(wctx, m, next, stored(err))
	}
	if rerr != nil {
		s.Logger.ErrorContext(ctx, "webhooks: record outcome", "id", m.ID, "err", rerr)
	}
}

// backoff is the wait after the n-th failed attempt: 10 s doubling to at
// most an hour, with up to 20% jitter.
func backoff(attempts int) time.Duration {
	d := 10 * time.Second << min(max(attempts-1, 0), 9)
	d = min(d, time.Hour)
	return d + time.Duration(rand.Int64N(int64(d/5)+1))
}

// endpoint returns the endpoint whose Key is key, nil when none is.
func (s *Sender) endpoint(key string) *Endpoint {
	var ep *Endpoint
	for i := range s.Endpoints {
		if Key(s.Endpoints[i].URL) == key {
			ep = &s.Endpoints[i]
		}
	}
	return ep
}

// deliver renders and posts one message.
func (s *Sender) deliver(ctx context.Context, m handoff.OutboxMessage) (Answer, error) {
	ep := s.endpoint(m.Platform)
	if ep == nil {
		return Answer{}, fmt.Errorf("%w: endpoint %s is no longer in the agreement", errPermanent, m.Platform)
	}
	var n handoff.WebhookNotice
	if err := json.Unmarshal([]byte(m.Payload), &n); err != nil {
		return Answer{}, fmt.Errorf("%w: payload: %v", errPermanent, err)
	}
	lead, err := s.Store.Lead(ctx, m.LeadID)
	if err != nil {
		if handoff.ErrorCode(err) == handoff.ENOTFOUND {
			return Answer{}, fmt.Errorf("%w: %v", errPermanent, err)
		}
		return Answer{}, err
	}
	if lead.ErasedAt != nil && n.Type != handoff.WebhookErased {
		// Erased since the message was taken (the erasure scrubbed the
		// queued copy, not this one): its free text goes as the lead's did.
		// The erasure's own message carries only what it wrote into it
		// (the lead's former id, handoff.ErasedIDDetail).
		n = n.Erased()
	}
	events, err := s.Store.Events(ctx, lead.ID)
	if err != nil {
		return Answer{}, err
	}
	body, err := json.Marshal(Body{Type: n.Type, Timestamp: n.At.UTC(),
		Data: EventData{Lead: handlers.NewLeadJSON(lead, events, s.Now(), s.Policy), Actor: n.Actor, Stage: n.Stage, Details: n.Details}})
	if err != nil {
		return Answer{}, fmt.Errorf("%w: render: %v", errPermanent, err)
	}
	return Post(ctx, s.Client, *ep, n.ID, s.Wall(), body)
}
