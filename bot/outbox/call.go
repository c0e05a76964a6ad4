package outbox

import (
	"context"
	"errors"
	mrand "math/rand/v2"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
)

// backoff is the wait before attempt+1: exponential from BaseBackoff,
// capped at MaxBackoff, with the upper half jittered.
func (d *Dispatcher) backoff(attempt int) time.Duration {
	wait := d.cfg.BaseBackoff
	for i := 1; i < attempt && wait < d.cfg.MaxBackoff; i++ {
		wait *= 2
	}
	wait = min(wait, d.cfg.MaxBackoff)
	half := wait / 2
	return half + time.Duration(mrand.Int64N(int64(half)+1))
}

// errHeld explains a call not made because the platform asked us to wait
// (a rate limit, or an outage it said when to come back from).
var errHeld = errors.New("held back: the platform asked to wait")

// call runs f, one call to a platform method, with a timeout, unless the
// method is held back after a rate limit; a *bot.RetryAfterError from f holds
// back further calls to the same method until the wait is over.
func (d *Dispatcher) call(ctx context.Context, platform, op string, f func(ctx context.Context) error) error {
	key := platform + "/" + op
	now := d.cfg.Now()
	d.mu.Lock()
	until := d.holds[key]
	d.mu.Unlock()
	if wait := until.Sub(now); wait > 0 {
		return &bot.RetryAfterError{After: wait, Err: errHeld}
	}
	cctx, cancel := context.WithTimeout(ctx, d.cfg.CallTimeout)
	defer cancel()
	start := time.Now()
	err := f(cctx)
	outcome := callOutcome(err)
	if d.cfg.OnCall != nil {
		d.cfg.OnCall(platform, op, outcome, time.Since(start))
	}
	if op != opFind && op != opLink { // a platform that answers a look may still fail to post; a link may be built without asking it
		d.noteCall(platform, outcome)
	}
	var ra *bot.RetryAfterError
	if errors.As(err, &ra) {
		d.mu.Lock()
		if next := now.Add(max(ra.After, time.Second)); next.After(d.holds[key]) {
			d.holds[key] = next
		}
		d.mu.Unlock()
	}
	return err
}

// Methods are the methods Config.OnCall is told: every call the
// dispatcher makes to a platform, by the name its metrics give it.
var Methods = []string{"post", "direct", opFind, "update", "private", "reply", "email", "home", opLink}

// callOutcome names how a platform call ended, for metrics: a platform
// unavailable for the while it asked (bot.RetryAfterError.Unavailable)
// failed the call ("retry"), it did not rate-limit it.
func callOutcome(err error) string {
	var ra *bot.RetryAfterError
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &ra) && !ra.Unavailable:
		return "rate_limited"
	case bot.IsPermanent(err):
		return "permanent"
	}
	return "retry"
}

func notFoundIsPermanent(err error) error {
	if handoff.ErrorCode(err) == handoff.ENOTFOUND {
		return bot.Permanent(err)
	}
	return err
}
