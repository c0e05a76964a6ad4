package busy_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/handoff/handoff/internal/busy"
)

const patience = time.Hour // long enough that only idleness or ctx ends a Wait in these tests

// waitFor blocks until cond holds; a Wait that never comes fails by the
// test's own timeout, not by a clock here.
func waitFor(cond func() bool) {
	for !cond() {
		time.Sleep(time.Millisecond)
	}
}

func cancelled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

func TestGateWait(t *testing.T) {
	tests := []struct {
		name  string
		enter int // requests entered
		leave int // of which left
		want  bool
	}{
		{"Idle", 0, 0, true},
		{"OneInFlight", 1, 0, false},
		{"AllLeft", 2, 2, true},
		{"OneOfTwoLeft", 2, 1, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var g busy.Gate
			var leaves []func()
			for range tc.enter {
				leaves = append(leaves, g.Enter())
			}
			for _, leave := range leaves[:tc.leave] {
				leave()
				leave() // a second call does nothing
			}
			// With ctx already ended, Wait answers whether the gate is idle now.
			if got := g.Wait(cancelled(), patience); got != tc.want {
				t.Fatalf("Wait = %v, want %v (in flight: %d)", got, tc.want, g.InFlight())
			}
			if got, want := g.InFlight(), tc.enter-tc.leave; got != want {
				t.Fatalf("InFlight = %d, want %d", got, want)
			}
		})
	}
}

// A Wait blocked by a request returns true as soon as the request leaves.
func TestGateWaitReleased(t *testing.T) {
	var g busy.Gate
	leave := g.Enter()
	done := make(chan bool, 1)
	go func() { done <- g.Wait(context.Background(), patience) }()
	waitFor(func() bool { return g.Waiting() == 1 })
	select {
	case got := <-done:
		t.Fatalf("Wait returned %v while a request was in flight", got)
	default:
	}
	leave()
	if got := <-done; !got {
		t.Fatal("Wait = false after the request left, want true")
	}
	if g.Waiting() != 0 {
		t.Fatalf("Waiting = %d after Wait returned", g.Waiting())
	}
	// The gate can be held and released again.
	leave = g.Enter()
	if g.Wait(cancelled(), patience) {
		t.Fatal("Wait = true while held again")
	}
	leave()
	if !g.Wait(cancelled(), patience) {
		t.Fatal("Wait = false after release")
	}
}

// Patience bounds the wait: background work is not starved by requests
// that never end.
func TestGateWaitPatience(t *testing.T) {
	var g busy.Gate
	defer g.Enter()()
	if g.Wait(context.Background(), time.Nanosecond) {
		t.Fatal("Wait = true while a request is in flight")
	}
}

func TestGateHold(t *testing.T) {
	var g busy.Gate
	inside := -1
	h := g.Hold(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { inside = g.InFlight() }))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/slack/interactions", nil))
	if inside != 1 || g.InFlight() != 0 {
		t.Fatalf("in flight during the request = %d, after = %d; want 1 and 0", inside, g.InFlight())
	}
}

func TestNilGate(t *testing.T) {
	var g *busy.Gate
	g.Enter()()
	if !g.Wait(cancelled(), patience) || g.InFlight() != 0 || g.Waiting() != 0 {
		t.Fatal("a nil gate must never hold anything back")
	}
	h := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	if got := g.Hold(h); got == nil {
		t.Fatal("Hold on a nil gate returned nil")
	}
}
