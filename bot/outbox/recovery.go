package outbox

import (
	"context"
	"time"
)

// hastenEvery is the least time between two hastenings of one platform's
// retries (hastenRetries), so that a platform failing every other call is
// not sent all the waiting messages at each of its successes.
const hastenEvery = time.Minute

// platformHealth is what a dispatcher's calls tell of one platform.
type platformHealth struct {
	failing   bool      // its last call failed for a reason worth a retry (an outage, a 5xx, a timeout)
	recovered bool      // a call succeeded since it was failing; not yet hastened
	hastened  time.Time // when its retries were last made due
}

// noteCall records how a call to platform ended (callOutcome): a failure
// worth a retry marks the platform failing, and the next success marks it
// recovered. Rate limits and permanent errors say nothing of an outage.
func (d *Dispatcher) noteCall(platform, outcome string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	h := d.health[platform]
	if h == nil {
		h = &platformHealth{}
		d.health[platform] = h
	}
	switch outcome {
	case "retry":
		h.failing = true
	case "ok":
		if h.failing {
			h.failing, h.recovered = false, true
		}
	}
}

// hastenRetries makes the messages that wait for a retry on a platform
// that answered again after failing due now (Store.HastenOutbox), so that
// once it is back, the cards queued during the outage reach the channel in
// the next round instead of at the end of each one's backoff, which after
// a long outage is up to MaxBackoff away. A platform is hastened at most
// once every hastenEvery.
func (d *Dispatcher) hastenRetries(ctx context.Context) {
	now := d.cfg.Now().UTC()
	var platforms []string
	d.mu.Lock()
	for name, h := range d.health {
		if h.recovered && now.Sub(h.hastened) >= hastenEvery {
			platforms = append(platforms, name)
			h.hastened = now
		}
		h.recovered = false
	}
	d.mu.Unlock()
	for _, name := range platforms {
		n, err := d.cfg.Store.HastenOutbox(ctx, name, now)
		if err != nil {
			d.logger.ErrorContext(ctx, "outbox: hasten retries", "platform", name, "err", err)
			continue
		}
		if n > 0 {
			d.logger.InfoContext(ctx, "outbox: platform answers again, its waiting retries are due now", "platform", name, "messages", n)
		}
	}
}
