package handlers

import "net/http"

// Router serves each request with the route of mux that matches it, and
// answers a request that no route of mux serves as the API answers its
// errors, in JSON ({"error": …}) that no cache keeps, instead of the
// mux's plain text: 404 for a path no route has, 405 for a method none of
// the path's routes takes, with Allow naming the methods they take. The
// mux's redirects (a path with "//", "." or "..", to its clean form) are
// kept.
func Router(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern == "" {
			w = &unroutedWriter{ResponseWriter: w}
		}
		mux.ServeHTTP(w, r)
	})
}

// unroutedWriter writes the 404 and 405 that a mux answers for a request
// no route serves as JSON errors, and drops the mux's own text.
type unroutedWriter struct {
	http.ResponseWriter
	replaced bool // the JSON answer is written; what the mux writes is dropped
}

func (u *unroutedWriter) WriteHeader(code int) {
	var msg string
	switch code {
	case http.StatusNotFound:
		msg = "no such endpoint; GET /api/openapi.json lists them"
	case http.StatusMethodNotAllowed:
		msg = "method not allowed; this path takes " + u.Header().Get("Allow")
	default:
		u.ResponseWriter.WriteHeader(code)
		return
	}
	u.replaced = true
	writeJSON(u.ResponseWriter, code, errorBody{Error: msg})
}

func (u *unroutedWriter) Write(b []byte) (int, error) {
	if u.replaced {
		return len(b), nil
	}
	return u.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (u *unroutedWriter) Unwrap() http.ResponseWriter { return u.ResponseWriter }
