package handlers

import (
	"net/http"
	"time"

	"github.com/handoff/handoff/metrics"
)

// Instrument records every request's count and duration in m under the
// pattern of the route in mux that serves it (never the raw path, so the
// labels stay bounded; "unmatched" when no route matches).
func Instrument(mux *http.ServeMux, m *metrics.Metrics, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, route := mux.Handler(r)
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		start := time.Now()
		defer func() { m.HTTPRequest(route, r.Method, rec.status, time.Since(start)) }()
		next.ServeHTTP(rec, r)
	})
}
