package handlers

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// RateLimit bounds the requests per second each authenticated token may
// make, and the failed attempts per second each client address may make.
// A zero Rate turns it off.
type RateLimit struct {
	Rate  float64 // requests per second per token, sustained
	Burst int     // requests allowed at once per token
	// OnLimited is called for each refused request; may be nil.
	OnLimited func()

	mu       sync.Mutex
	limiters map[string]*rate.Limiter
}

// Failed attempts (no or a wrong token) allowed per client address.
const (
	FailRate  = 1.0 // per second, sustained
	FailBurst = 10
)

// maxLimiters bounds the limiter map; past it, the address limiters are
// cleared (many addresses cannot grow memory without bound). Token limiters
// are few: one per configured token.
const maxLimiters = 10_000

// refuse answers 429 with Retry-After and returns true when key (a token
// name or a client address) is over its rate.
func (rl *RateLimit) refuse(w http.ResponseWriter, key string) bool {
	if rl == nil || rl.Rate <= 0 {
		return false
	}
	res := rl.limiter(key).Reserve()
	delay := res.Delay()
	if delay == 0 {
		return false
	}
	res.Cancel()
	if rl.OnLimited != nil {
		rl.OnLimited()
	}
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(delay.Seconds()))))
	writeJSON(w, http.StatusTooManyRequests, errorBody{Error: fmt.Sprintf("rate limit exceeded; retry after %s", delay.Round(time.Millisecond))})
	return true
}

func (rl *RateLimit) limiter(key string) *rate.Limiter {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	if rl.limiters == nil {
		rl.limiters = map[string]*rate.Limiter{}
	}
	if len(rl.limiters) >= maxLimiters {
		for k := range rl.limiters {
			if k[:5] == "addr:" {
				delete(rl.limiters, k)
			}
		}
	}
	lim, ok := rl.limiters[key]
	if !ok {
		r, burst := rl.Rate, rl.Burst
		if key[:5] == "addr:" {
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
