// Package busy counts the interactive requests in flight (a Claim click,
// a slash command, a Teams activity: someone is waiting for the answer), so
// that background work can step aside until they are answered.
package busy

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// Gate counts requests in flight. Background work calls Wait before each
// piece of work; request handlers Enter (or Hold) for the time someone
// waits on them. The zero value is ready; a nil *Gate never waits and
// counts nothing. A Gate is safe for concurrent use.
type Gate struct {
	mu      sync.Mutex
	n       int           // requests in flight
	idle    chan struct{} // closed when n falls to 0; nil while n == 0
	waiters int           // calls blocked in Wait
}

// Enter counts one request in flight until the returned leave is called
// (once; later calls do nothing).
func (g *Gate) Enter() (leave func()) {
	if g == nil {
		return func() {}
	}
	g.mu.Lock()
	if g.n == 0 {
		g.idle = make(chan struct{})
	}
	g.n++
	g.mu.Unlock()
	var once sync.Once
	return func() { once.Do(g.leave) }
}

func (g *Gate) leave() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.n--
	if g.n == 0 {
		close(g.idle)
		g.idle = nil
	}
}

// Hold wraps h so that each request counts as in flight until h returns.
func (g *Gate) Hold(h http.Handler) http.Handler {
	if g == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer g.Enter()()
		h.ServeHTTP(w, r)
	})
}

// Wait returns once no request is in flight, or after at most patience,
// or when ctx ends, whichever comes first; patience bounds how long
// background work can be held back by a steady stream of requests. It
// reports whether it returned because the gate was idle.
func (g *Gate) Wait(ctx context.Context, patience time.Duration) bool {
	if g == nil {
		return true
	}
	g.mu.Lock()
	idle := g.idle
	if idle == nil {
		g.mu.Unlock()
		return true
	}
	g.waiters++
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		g.waiters--
		g.mu.Unlock()
	}()
	timer := time.NewTimer(patience)
	defer timer.Stop()
	select {
	case <-idle:
		return true
	case <-timer.C:
	case <-ctx.Done():
	}
	return false
}

// InFlight is how many requests are in flight now.
func (g *Gate) InFlight() int {
	if g == nil {
		return 0
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.n
}

// Waiting is how many calls are blocked in Wait now (for tests to know
// that background work is holding back).
func (g *Gate) Waiting() int {
	if g == nil {
		return 0
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.waiters
}
