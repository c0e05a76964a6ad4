package testkit

import (
	"net/http"
	"sync"
	"time"
)

// Deadlines is an http.RoundTripper that notes the deadline of each
// request's context, the wait its client gave it, and sends the request
// on through Next (http.DefaultTransport when nil): how long a client
// would wait, read without timing it.
type Deadlines struct {
	Next http.RoundTripper

	mu   sync.Mutex
	seen []Deadline
}

// Deadline is one request's path, when it was sent and its context's
// deadline (zero when it had none).
type Deadline struct {
	Path     string
	Sent, At time.Time
}

// Left is how long the request had left to wait when it was sent: its
// deadline, less the time it was sent at (0 when it had no deadline).
func (d Deadline) Left() time.Duration {
	if d.At.IsZero() {
		return 0
	}
	return d.At.Sub(d.Sent)
}

// RoundTrip notes r's deadline and sends it on.
func (d *Deadlines) RoundTrip(r *http.Request) (*http.Response, error) {
	at, _ := r.Context().Deadline()
	sent := time.Now()
	d.mu.Lock()
	d.seen = append(d.seen, Deadline{Path: r.URL.Path, Sent: sent, At: at})
	d.mu.Unlock()
	next := d.Next
	if next == nil {
		next = http.DefaultTransport
	}
	return next.RoundTrip(r)
}

// Seen returns the requests' deadlines so far, in the order they were
// sent.
func (d *Deadlines) Seen() []Deadline {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]Deadline(nil), d.seen...)
}
