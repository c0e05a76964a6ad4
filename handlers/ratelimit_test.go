package handlers_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/handoff/handoff/handlers"
)

var guardTokens = []handlers.Token{
	{Name: "marketing", Secret: "m-secret", Scope: handlers.ScopeWrite},
	{Name: "bi", Secret: "b-secret", Scope: handlers.ScopeRead},
}

func guarded(g *handlers.Guard, scope handlers.Scope) http.Handler {
	return g.Require(scope, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Actor", handlers.TokenName(r.Context()))
		w.WriteHeader(204)
	})
}

func call(h http.Handler, auth, addr string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", "/api/leads", nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	req.RemoteAddr = addr
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestRateLimitPerToken(t *testing.T) {
	limited := 0
	g := &handlers.Guard{Tokens: guardTokens, Limit: &handlers.RateLimit{Rate: 1, Burst: 3, OnLimited: func() { limited++ }}}
	h := guarded(g, handlers.ScopeRead)
	for i := 0; i < 3; i++ {
		if got := call(h, "Bearer m-secret", "10.0.0.1:1000").Code; got != 204 {
			t.Fatalf("request %d within burst = %d", i, got)
		}
	}
	// Over the burst, from another address too: the limit is the token's.
	rec := call(h, "Bearer m-secret", "10.0.0.2:1000")
	if rec.Code != 429 {
		t.Fatalf("request over the burst = %d, want 429", rec.Code)
	}
	if s, err := strconv.Atoi(rec.Header().Get("Retry-After")); err != nil || s < 1 {
		t.Fatalf("Retry-After = %q", rec.Header().Get("Retry-After"))
	}
	if got := call(h, "Bearer b-secret", "10.0.0.1:1000").Code; got != 204 {
		t.Fatalf("another token shares the limit: %d", got)
	}
	if limited != 1 {
		t.Fatalf("OnLimited called %d times, want 1", limited)
	}
}

// A wrong bearer value is checked before any limit: forging a new value per
// request gives no fresh limit, and failures are limited per address
// without touching the real tokens' limits.
func TestRateLimitUnauthenticatedPerAddress(t *testing.T) {
	g := &handlers.Guard{Tokens: guardTokens, Limit: &handlers.RateLimit{Rate: 1, Burst: 3}}
	h := guarded(g, handlers.ScopeRead)
	for i := 0; i < handlers.FailBurst; i++ {
		if got := call(h, fmt.Sprintf("Bearer forged-%d", i), "203.0.113.9:4000").Code; got != 401 {
			t.Fatalf("forged attempt %d = %d, want 401", i, got)
		}
	}
	if got := call(h, "Bearer forged-next", "203.0.113.9:4001").Code; got != 429 {
		t.Fatalf("attempt over the address's limit = %d, want 429", got)
	}
	if got := call(h, "", "203.0.113.9:4002").Code; got != 429 {
		t.Fatalf("no token over the address's limit = %d, want 429", got)
	}
	if got := call(h, "Bearer forged-x", "198.51.100.1:4000").Code; got != 401 {
		t.Fatalf("another address = %d, want 401", got)
	}
	// Sending a real token's name as the bearer value does not spend its limit.
	for i := 0; i < 5; i++ {
		call(h, "Bearer marketing", "198.51.100.2:4000")
	}
	if got := call(h, "Bearer m-secret", "198.51.100.3:4000").Code; got != 204 {
		t.Fatalf("the real token after forged attempts = %d, want 204", got)
	}
}

func TestTokenScopes(t *testing.T) {
	g := &handlers.Guard{Tokens: handlers.Tokens("single", guardTokens)}
	tests := []struct {
		scope     handlers.Scope
		auth      string
		want      int
		wantActor string
	}{
		{handlers.ScopeWrite, "Bearer m-secret", 204, "marketing"},
		{handlers.ScopeWrite, "Bearer b-secret", 403, ""},
		{handlers.ScopeRead, "Bearer b-secret", 204, "bi"},
		{handlers.ScopeWrite, "Bearer single", 204, "api"},
		{handlers.ScopeRead, "Bearer m-secret ", 204, "marketing"},
		{handlers.ScopeRead, "bearer m-secret", 204, "marketing"}, // the scheme is case-insensitive (RFC 9110)
		{handlers.ScopeRead, "BEARER  b-secret", 204, "bi"},
		{handlers.ScopeRead, "Bearerm-secret", 401, ""},
		{handlers.ScopeRead, "Basic m-secret", 401, ""},
		{handlers.ScopeRead, "Bearer m-secre", 401, ""},
	}
	for _, tt := range tests {
		rec := call(guarded(g, tt.scope), tt.auth, "10.0.0.1:1")
		if rec.Code != tt.want || rec.Header().Get("X-Actor") != tt.wantActor {
			t.Errorf("%s with %q = %d actor %q, want %d actor %q", tt.scope, tt.auth, rec.Code, rec.Header().Get("X-Actor"), tt.want, tt.wantActor)
		}
	}
	if got := call(guarded(&handlers.Guard{}, handlers.ScopeRead), "Bearer ", "10.0.0.1:1").Code; got != 401 {
		t.Errorf("no tokens configured = %d, want 401", got)
	}
}

// TestFailedAttemptsLimitedPerNetwork: an IPv6 client's failed attempts
// are counted for its /48, the addresses one customer is given, so that
// moving to another of them gives no fresh limit; another /48 and IPv4
// addresses (also written as IPv4-mapped IPv6) are counted apart.
func TestFailedAttemptsLimitedPerNetwork(t *testing.T) {
	tests := []struct {
		name, first, next string
		want              int
	}{
		{"SameIPv6Host", "[2001:db8:1:2::1]:4000", "[2001:db8:1:2::1]:4001", 429},
		{"SameIPv6Subnet", "[2001:db8:1:2::1]:4000", "[2001:db8:1:2::9]:4000", 429},
		{"SameIPv6Site", "[2001:db8:1:2::1]:4000", "[2001:db8:1:ffff::1]:4000", 429},
		{"AnotherIPv6Site", "[2001:db8:1:2::1]:4000", "[2001:db8:2::1]:4000", 401},
		{"IPv4Mapped", "203.0.113.9:4000", "[::ffff:203.0.113.9]:4000", 429},
		{"AnotherIPv4", "203.0.113.9:4000", "203.0.113.10:4000", 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := guarded(&handlers.Guard{Tokens: guardTokens, Limit: &handlers.RateLimit{Rate: 1, Burst: 3}}, handlers.ScopeRead)
			for i := range handlers.FailBurst {
				if got := call(h, fmt.Sprintf("Bearer forged-%d", i), tt.first).Code; got != 401 {
					t.Fatalf("attempt %d = %d, want 401", i, got)
				}
			}
			if got := call(h, "Bearer forged-next", tt.next).Code; got != tt.want {
				t.Fatalf("next attempt from %s = %d, want %d", tt.next, got, tt.want)
			}
		})
	}
}

// TestFailedAttemptsLimitOutlastsManyAddresses: when the limiter map is
// full, the addresses that are not over their limit make room; one that
// keeps guessing stays refused, so failing from many addresses at once
// does not buy it a fresh burst.
func TestFailedAttemptsLimitOutlastsManyAddresses(t *testing.T) {
	// The clock stands still: however long the 10,000 calls take on a
	// loaded machine, the guesser's bucket must not refill meanwhile.
	frozen := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	limit := &handlers.RateLimit{Rate: 1, Burst: 3, Now: func() time.Time { return frozen }}
	h := guarded(&handlers.Guard{Tokens: guardTokens, Limit: limit}, handlers.ScopeRead)
	const guesser = "198.51.100.7:4000"
	for i := range handlers.FailBurst {
		call(h, fmt.Sprintf("Bearer forged-%d", i), guesser)
	}
	// Enough other addresses fail once each to fill the map, while the
	// guesser goes on.
	for i := range 10_000 {
		call(h, "Bearer forged", fmt.Sprintf("10.%d.%d.1:4000", i/256, i%256))
		if i%100 == 0 {
			call(h, "Bearer forged-again", guesser)
		}
	}
	if got := call(h, "Bearer forged-last", guesser).Code; got != 429 {
		t.Fatalf("the guesser after the map filled = %d, want 429", got)
	}
	if got := call(h, "Bearer forged", "192.0.2.1:4000").Code; got != 401 {
		t.Fatalf("a new address = %d, want 401", got)
	}
}
