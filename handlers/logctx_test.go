package handlers_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/handoff/handoff/handlers"
)

// TestRequestIDOnEveryLine: a line logged inside a handler with the
// request's context and the access line both carry the request id.
func TestRequestIDOnEveryLine(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(handlers.ContextHandler{Handler: slog.NewJSONHandler(&buf, nil)})
	h := handlers.Middleware(logger, nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		logger.With("part", "inner").InfoContext(r.Context(), "working")
	}))
	req := httptest.NewRequest("GET", "/x", nil)
	req.Header.Set("X-Request-Id", "req-42")
	h.ServeHTTP(httptest.NewRecorder(), req)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("lines = %q", lines)
	}
	for _, l := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatal(err)
		}
		if rec["request_id"] != "req-42" {
			t.Errorf("line without the request id: %s", l)
		}
	}
}

// TestAccessLine: the middleware logs each request once, at INFO, with
// its method, path, status, duration and request id.
func TestAccessLine(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(handlers.ContextHandler{Handler: slog.NewJSONHandler(&buf, nil)})
	h := handlers.Middleware(logger, nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	}))
	req := httptest.NewRequest("POST", "/api/leads?x=1", nil)
	req.Header.Set("X-Request-Id", "req-7")
	h.ServeHTTP(httptest.NewRecorder(), req)
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("%v: %s", err, buf.String())
	}
	ms, ok := rec["duration_ms"].(float64)
	if !ok || ms < 0 {
		t.Errorf("duration_ms = %v", rec["duration_ms"])
	}
	delete(rec, "time")
	delete(rec, "duration_ms")
	want := map[string]any{"level": "INFO", "msg": "http", "method": "POST", "path": "/api/leads", "status": 418.0, "request_id": "req-7"}
	if !reflect.DeepEqual(rec, want) {
		t.Errorf("access line %v, want %v", rec, want)
	}
}
