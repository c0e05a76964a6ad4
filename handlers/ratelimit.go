package handlers

import (
	"crypto/sha256"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// RateLimit bounds the requests per second each bearer token may make.
// A zero Rate turns it off.
type RateLimit struct {
	Rate  float64 // requests per second, sustained
	Burst int     // requests allowed at once
	// OnLimited is called for each refused request; may be nil.
	OnLimited func()

	mu       sync.Mutex
	limiters map[[32]byte]*rate.Limiter
}

// maxLimiters bounds the limiter map; past it, it is cleared (forged tokens
// cannot grow memory without bound).
const maxLimiters = 10_000

// Wrap answers 429 with Retry-After when the caller's token (or, without
// one, its address) is over its rate, and otherwise calls next.
func (rl *RateLimit) Wrap(next http.Handler) http.Handler {
	if rl == nil || rl.Rate <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lim := rl.limiter(limitKey(r))
		res := lim.Reserve()
		if delay := res.Delay(); delay > 0 {
			res.Cancel()
			if rl.OnLimited != nil {
				rl.OnLimited()
			}
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(delay.Seconds()))))
			writeJSON(w, http.StatusTooManyRequests, errorBody{Error: fmt.Sprintf("rate limit of %g requests per second exceeded; retry after %s", rl.Rate, delay.Round(time.Millisecond))})
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (rl *RateLimit) limiter(key [32]byte) *rate.Limiter {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	if rl.limiters == nil || len(rl.limiters) >= maxLimiters {
		rl.limiters = map[[32]byte]*rate.Limiter{}
	}
	lim, ok := rl.limiters[key]
	if !ok {
		burst := rl.Burst
		if burst <= 0 {
			burst = int(math.Max(1, rl.Rate))
		}
		lim = rate.NewLimiter(rate.Limit(rl.Rate), burst)
		rl.limiters[key] = lim
	}
	return lim
}

// limitKey hashes the bearer token, so no token is kept in memory in clear,
// or the remote address when there is none.
func limitKey(r *http.Request) [32]byte {
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return sha256.Sum256([]byte("token:" + tok))
	}
	host := r.RemoteAddr
	if i := strings.LastIndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	return sha256.Sum256([]byte("addr:" + host))
}
