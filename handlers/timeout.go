package handlers

import (
	"net/http"
	"time"
)

// Timeout is http.TimeoutHandler answering as the API answers its errors:
// a request that h has not answered within d is answered 503 {"error":
// "request timed out"}, as JSON that no cache keeps. TimeoutHandler itself
// gives its answer no Content-Type, so a client was sent the same body
// labelled text/plain.
func Timeout(h http.Handler, d time.Duration) http.Handler {
	th := http.TimeoutHandler(h, d, `{"error": "request timed out"}`+"\n")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		th.ServeHTTP(timeoutWriter{w}, r)
	})
}

// timeoutWriter labels TimeoutHandler's own answer, the one 503 written
// without a Content-Type: a handler's answer reaches it with the handler's
// headers, and every 503 of Handoff's handlers is written by writeJSON.
type timeoutWriter struct{ http.ResponseWriter }

func (t timeoutWriter) WriteHeader(code int) {
	if code == http.StatusServiceUnavailable && t.Header().Get("Content-Type") == "" {
		t.Header().Set("Content-Type", jsonContentType)
		noStore(t)
	}
	t.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (t timeoutWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }
