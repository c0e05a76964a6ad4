package handlers_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/handoff/handoff/handlers"
)

func TestRateLimit(t *testing.T) {
	limited := 0
	rl := &handlers.RateLimit{Rate: 1, Burst: 3, OnLimited: func() { limited++ }}
	h := rl.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
	call := func(auth string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "/api/leads", nil)
		req.Header.Set("Authorization", auth)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	for i := 0; i < 3; i++ {
		if got := call("Bearer a").Code; got != 204 {
			t.Fatalf("request %d within burst = %d", i, got)
		}
	}
	rec := call("Bearer a")
	if rec.Code != 429 {
		t.Fatalf("request over the burst = %d, want 429", rec.Code)
	}
	if s, err := strconv.Atoi(rec.Header().Get("Retry-After")); err != nil || s < 1 {
		t.Fatalf("Retry-After = %q", rec.Header().Get("Retry-After"))
	}
	if got := call("Bearer b").Code; got != 204 {
		t.Fatalf("another token shares the limit: %d", got)
	}
	if limited != 1 {
		t.Fatalf("OnLimited called %d times, want 1", limited)
	}
	var off *handlers.RateLimit
	if got := off.Wrap(http.NotFoundHandler()); got == nil {
		t.Fatal("nil limit wrapped to nil")
	}
}
