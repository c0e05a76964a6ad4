package main

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// postLimit rate-limits chat.postMessage per channel as Slack does (about
// one message a second a channel, short bursts allowed): a bucket of burst
// calls a channel, refilled at perSec a second. A call beyond it is not
// passed on: it answers 429 Too Many Requests with Retry-After, the whole
// seconds until the channel takes a call again, as Slack answers.
type postLimit struct {
	perSec rate.Limit
	burst  int
	now    func() time.Time

	mu       sync.Mutex
	channels map[string]*rate.Limiter
}

// newPostLimit returns a postLimit on the clock now, or nil (no limit)
// when perSec is 0.
func newPostLimit(perSec float64, burst int, now func() time.Time) *postLimit {
	if perSec <= 0 {
		return nil
	}
	return &postLimit{perSec: rate.Limit(perSec), burst: burst, now: now, channels: map[string]*rate.Limiter{}}
}

// wait takes a call to channel now and returns 0, or returns how long the
// channel has to wait before it takes one.
func (l *postLimit) wait(channel string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	lim := l.channels[channel]
	if lim == nil {
		lim = rate.NewLimiter(l.perSec, l.burst)
		l.channels[channel] = lim
	}
	now := l.now()
	if lim.AllowN(now, 1) {
		return 0
	}
	return time.Duration((1 - lim.TokensAt(now)) / float64(l.perSec) * float64(time.Second))
}

// handler passes every call to next but the chat.postMessage calls over
// the limit, which it answers with 429.
func (l *postLimit) handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if path.Base(r.URL.Path) != "chat.postMessage" {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if wait := l.wait(postChannel(r.Header.Get("Content-Type"), body)); wait > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = io.WriteString(w, `{"ok":false,"error":"ratelimited"}`)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// postChannel is the channel a chat.postMessage body names, as a form or
// as JSON.
func postChannel(contentType string, body []byte) string {
	if mt, _, _ := mime.ParseMediaType(contentType); mt == "application/json" {
		var args struct {
			Channel string `json:"channel"`
		}
		_ = json.Unmarshal(body, &args)
		return args.Channel
	}
	form, _ := url.ParseQuery(string(body))
	return form.Get("channel")
}
