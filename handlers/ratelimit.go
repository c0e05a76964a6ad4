package handlers

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// RateLimit bounds the requests per second each authenticated token may
// make, and the failed attempts per second each client address may make.
// A zero Rate turns the tokens' limit off; failed attempts are limited all
// the same, so that no setting leaves the tokens open to guessing.
type RateLimit struct {
	Rate  float64 // requests per second per token, sustained; 0 for no limit
	Burst int     // requests allowed at once per token
	// OnLimited is called for each refused request; may be nil.
	OnLimited func()
	// Now is the clock the limiters run on; time.Now when nil (tests set
	// it so that a run's own pace cannot refill a bucket).
	Now func() time.Time

	mu       sync.Mutex
	limiters map[string]*rate.Limiter
}

// Failed attempts (no or a wrong token) allowed per client address.
const (
	FailRate  = 1.0 // per second, sustained
	FailBurst = 10
)

// maxLimiters bounds the limiter map (many addresses cannot grow memory
// without bound): past it, forgetAddrs makes room. Token limiters are few:
// one per configured token.
const maxLimiters = 10_000

// refuse answers 429 with Retry-After and returns true when key (a token
// name or a client address) is over its rate.
func (rl *RateLimit) refuse(w http.ResponseWriter, key string) bool {
	if rl == nil || rl.Rate <= 0 && !isAddrKey(key) {
		return false
	}
	now := rl.now()
	res := rl.limiter(key, now).ReserveN(now, 1)
	delay := res.DelayFrom(now)
	if delay == 0 {
		return false
	}
	res.CancelAt(now)
	if rl.OnLimited != nil {
		rl.OnLimited()
	}
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(delay.Seconds()))))
	writeJSON(w, http.StatusTooManyRequests, errorBody{Error: fmt.Sprintf("rate limit exceeded; retry after %s", delay.Round(time.Millisecond))})
	return true
}

func (rl *RateLimit) now() time.Time {
	if rl.Now != nil {
		return rl.Now()
	}
	return time.Now()
}

func (rl *RateLimit) limiter(key string, now time.Time) *rate.Limiter {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	if rl.limiters == nil {
		rl.limiters = map[string]*rate.Limiter{}
	}
	if len(rl.limiters) >= maxLimiters {
		rl.forgetAddrs(now)
	}
	lim, ok := rl.limiters[key]
	if !ok {
		r, burst := rl.Rate, rl.Burst
		if isAddrKey(key) {
			r, burst = FailRate, FailBurst
		}
		if burst <= 0 {
			burst = int(math.Max(1, r))
		}
		lim = rate.NewLimiter(rate.Limit(r), burst)
		rl.limiters[key] = lim
	}
	return lim
}

// isAddrKey reports whether key is a client address's, not a token's.
func isAddrKey(key string) bool { return strings.HasPrefix(key, "addr:") }

// forgetAddrs makes room in the limiter map, down to three quarters of
// it (so that it scans the map at most once per maxLimiters/4 new
// addresses): it forgets first the address limiters idle at now (a new one
// would be the same), then those not refusing now, and all of them only
// when more addresses than that are over their limit at once. An address
// that keeps guessing stays refused however many others fail meanwhile.
func (rl *RateLimit) forgetAddrs(now time.Time) {
	for _, atLeast := range []float64{FailBurst, 1, math.Inf(-1)} {
		for k, lim := range rl.limiters {
			if isAddrKey(k) && lim.TokensAt(now) >= atLeast {
				delete(rl.limiters, k)
			}
		}
		if len(rl.limiters) <= maxLimiters*3/4 {
			return
		}
	}
}
