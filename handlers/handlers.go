// Package handlers is Handoff's HTTP edge: it authenticates and decodes
// requests, calls the store or the bot, and maps domain error codes to HTTP
// statuses in one place.
package handlers

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/metrics"
)

// LeadStore is what the intake API needs from storage.
type LeadStore interface {
	SaveLead(ctx context.Context, in handoff.LeadInput, policy handoff.Policy, now time.Time, actor string) (handoff.SaveResult, error)
	LeadByExternalID(ctx context.Context, externalID string) (*handoff.Lead, error)
	// ErasedLeadByExternalID finds the anonymous view of an erased lead by
	// the external id it had.
	ErasedLeadByExternalID(ctx context.Context, externalID string) (*handoff.Lead, error)
	Events(ctx context.Context, leadID int64) ([]handoff.Event, error)
	ForgetLeadAs(ctx context.Context, externalID string, policy handoff.Policy, now time.Time, actor string) error
	SaveActivities(ctx context.Context, externalID string, acts []handoff.Activity, policy handoff.Policy, now time.Time) (handoff.ActivityResult, error)
	Activities(ctx context.Context, leadID int64, scoring *handoff.Scoring, now time.Time) ([]handoff.Activity, error)
}

// Readiness reports whether the database answers and takes a write.
type Readiness interface {
	Ready(ctx context.Context) error
}

// API serves the intake API and the health endpoints.
type API struct {
	Store  LeadStore
	DB     Readiness
	Policy handoff.Policy
	Token  string           // HANDOFF_API_TOKEN, a write token named "api"
	Tokens []Token          // HANDOFF_API_TOKENS; with Token empty too, the API is disabled
	Now    func() time.Time // clock; time.Now when nil
	Logger *slog.Logger
	// Limit bounds each token's request rate; nil for none.
	Limit *RateLimit
	// Metrics records intake; may be nil.
	Metrics *metrics.Metrics
}

// MaxBodyBytes bounds every request body of the API.
const MaxBodyBytes = 1 << 20

// readBody reads r's body, at most MaxBodyBytes, copying what it reads to
// tee when tee is not nil (a signature check). When the body is too large
// or cannot be read it answers 413 or 400 itself and returns false.
func readBody(w http.ResponseWriter, r *http.Request, tee io.Writer) ([]byte, bool) {
	var src io.Reader = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	if tee != nil {
		src = io.TeeReader(src, tee)
	}
	body, err := io.ReadAll(src)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeJSON(w, http.StatusRequestEntityTooLarge, errorBody{Error: fmt.Sprintf("body larger than %d bytes", MaxBodyBytes)})
			return nil, false
		}
		writeJSON(w, http.StatusBadRequest, errorBody{Error: "could not read body"})
		return nil, false
	}
	return body, true
}

// Register adds the API's routes to mux.
func (a *API) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", a.healthz)
	mux.HandleFunc("GET /readyz", a.readyz)
	g := &Guard{Tokens: Tokens(a.Token, a.Tokens), Limit: a.Limit}
	mux.Handle("POST /api/leads", g.Require(ScopeIntake, a.postLead))
	mux.Handle("GET /api/leads/{external_id}", g.Require(ScopeRead, a.getLead))
	mux.Handle("DELETE /api/leads/{external_id}", g.Require(ScopeWrite, a.deleteLead))
	mux.Handle("POST /api/leads/{external_id}/activities", g.Require(ScopeIntake, a.postActivities))
}

func (a *API) now() time.Time {
	if a.Now != nil {
		return a.Now().UTC()
	}
	return time.Now().UTC()
}

func (a *API) logger() *slog.Logger {
	if a.Logger != nil {
		return a.Logger
	}
	return slog.Default()
}

func (a *API) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (a *API) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := a.DB.Ready(ctx); err != nil {
		a.logger().WarnContext(ctx, "readyz: database unreachable or read-only", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "error": "database unreachable or read-only"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// errorBody is every error answer's JSON.
type errorBody struct {
	Error  string            `json:"error"`
	Fields map[string]string `json:"fields,omitempty"`
}

// statusOf maps a domain error code to an HTTP status.
func statusOf(code string) int {
	switch code {
	case handoff.EINVALID:
		return http.StatusBadRequest
	case handoff.ENOTFOUND:
		return http.StatusNotFound
	case handoff.ECONFLICT:
		return http.StatusConflict
	case handoff.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case handoff.EFORBIDDEN:
		return http.StatusForbidden
	}
	return http.StatusInternalServerError
}

// writeError answers with err's status and message; internal errors are
// logged and answered without detail.
func writeError(w http.ResponseWriter, r *http.Request, logger *slog.Logger, err error) {
	code := handoff.ErrorCode(err)
	status := statusOf(code)
	if status == http.StatusInternalServerError {
		logger.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", cmp.Or(patternPath(r.Pattern), r.URL.Path), "err", err)
	}
	writeJSON(w, status, boundedError(err))
}

// boundedError is err's answer, a few KiB however many fields it names
// (handoff.Bounded), as a bad query's is.
func boundedError(err error) errorBody {
	msg, fields := handoff.Bounded(err)
	return errorBody{Error: msg, Fields: fields}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	writeJSONIndent(w, status, v, "  ")
}

// writeCompactJSON is writeJSON on one line, for answers that machines
// read at volume (intake), without the indenting pass.
func writeCompactJSON(w http.ResponseWriter, status int, v any) {
	writeJSONIndent(w, status, v, "")
}

// jsonContentType is the Content-Type of every JSON answer.
const jsonContentType = "application/json; charset=utf-8"

func writeJSONIndent(w http.ResponseWriter, status int, v any, indent string) {
	w.Header().Set("Content-Type", jsonContentType)
	noStore(w)
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	if indent != "" {
		enc.SetIndent("", indent)
	}
	_ = enc.Encode(v)
}

// noStore tells browsers and proxies not to keep the answer: the API's
// answers hold leads' personal data, which an erasure must not leave
// behind in a cache.
func noStore(w http.ResponseWriter) { w.Header().Set("Cache-Control", "no-store") }

type ctxKey int

const requestIDKey ctxKey = 0

// RequestID returns the id the middleware gave the request, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// Middleware gives every request an id (X-Request-Id, kept when the caller
// sent a sane one), recovers panics as 500s and logs each request once. The
// access line names the path of the route in routes that serves the
// request, its wildcards unfilled (/api/leads/{external_id}), so that no
// lead's id, which can be an email address, stays in the log after the
// lead's erasure, a method the route does not take (405) included; for a
// path no route has, the nearest route's path and "…" for the rest
// (unroutedPath); the raw path when routes is nil.
func Middleware(logger *slog.Logger, routes *http.ServeMux, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if id == "" || len(id) > 64 {
			var b [8]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-Id", id)
		r = r.WithContext(context.WithValue(r.Context(), requestIDKey, id))
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		start := time.Now()
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				logger.ErrorContext(r.Context(), "panic", "panic", p)
				if !rec.wrote {
					writeJSON(rec, http.StatusInternalServerError, errorBody{Error: "internal error"})
				}
			}
			// Typed attributes: the access line is written for every
			// request, and key-value pairs box each value (an allocation).
			logger.LogAttrs(r.Context(), slog.LevelInfo, "http", slog.String("method", r.Method), slog.String("path", routePath(routes, r, rec.Header().Get("Allow"))),
				slog.Int("status", rec.status), slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000))
		}()
		next.ServeHTTP(rec, r)
	})
}

// routePath is the path of the route in routes that serves r (the
// pattern without its method and host), or, for a method the path's
// routes do not take (a 405, whose Allow header is allow), of the route
// that takes the path with another method; for a path no route has,
// unroutedPath; r's own path when routes is nil.
func routePath(routes *http.ServeMux, r *http.Request, allow string) string {
	if routes == nil {
		return r.URL.Path
	}
	if _, pattern := routes.Handler(r); pattern != "" {
		return cmp.Or(patternPath(pattern), r.URL.Path)
	}
	if method, _, _ := strings.Cut(allow, ","); method != "" {
		other := *r
		other.Method = strings.TrimSpace(method)
		if _, pattern := routes.Handler(&other); pattern != "" {
			return cmp.Or(patternPath(pattern), r.URL.Path)
		}
	}
	return unroutedPath(routes, r)
}

// routeMethods are the methods unroutedPath tries a path's leading part
// with: those Handoff's routes take.
var routeMethods = []string{http.MethodGet, http.MethodPost, http.MethodDelete}

// unroutedPath names the path of r, which no route of routes serves, as
// the access line may keep it: the longest leading part of its segments
// that a route serves, written as that route's path, and "/…" for the
// rest ("/" alone for a trailing slash), or "/…" when no leading part is
// served. The rest may be a lead's id, which can be an email address
// (/api/leads/ann@berg.dk/, /api/leads/ann@berg.dk/nope), or one sent
// where Handoff has no route for it (/leads/ann@berg.dk), and must not
// stay in the log after the lead's erasure.
func unroutedPath(routes *http.ServeMux, r *http.Request) string {
	segs := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")
	for n := len(segs) - 1; n > 0; n-- {
		probe := &http.Request{Method: http.MethodGet, Host: r.Host, URL: &url.URL{Path: "/" + strings.Join(segs[:n], "/")}}
		for _, m := range routeMethods {
			probe.Method = m
			if _, pattern := routes.Handler(probe); pattern != "" {
				if p := patternPath(pattern); p != "" && !strings.HasSuffix(p, "/") {
					if n == len(segs)-1 && segs[n] == "" {
						return p + "/"
					}
					return p + "/…"
				}
			}
		}
	}
	return "/…"
}

// patternPath is a route pattern's path ("GET /api/leads/{external_id}"
// gives "/api/leads/{external_id}"), "" for no pattern.
func patternPath(pattern string) string {
	if i := strings.IndexByte(pattern, '/'); i >= 0 {
		return pattern[i:]
	}
	return ""
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

var errNoToken = errors.New("the API is disabled: neither HANDOFF_API_TOKEN nor HANDOFF_API_TOKENS is set")
