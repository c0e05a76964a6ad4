// Package webhooktest is a webhook receiver for tests. It checks every
// message's Standard Webhooks signature with its own implementation of the
// algorithm, written from the specification independently of the code
// that signs, and answers from a script of statuses.
package webhooktest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Verify reports whether a message's headers sign body with secret at
// time now: base64 HMAC-SHA256, keyed with the base64-decoded part of the
// whsec_ secret, over "id.timestamp.body", one of the space-separated "v1,"
// signatures matching, the timestamp within 5 minutes.
func Verify(h http.Header, body []byte, secret string, now time.Time) bool {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil || !strings.HasPrefix(secret, "whsec_") {
		return false
	}
	ts, err := strconv.ParseInt(h.Get("webhook-timestamp"), 10, 64)
	if err != nil || now.Sub(time.Unix(ts, 0)).Abs() > 5*time.Minute {
		return false
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(h.Get("webhook-id") + "." + h.Get("webhook-timestamp") + "." + string(body)))
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	for _, sig := range strings.Split(h.Get("webhook-signature"), " ") {
		if hmac.Equal([]byte(sig), []byte(want)) {
			return true
		}
	}
	return false
}

// Delivery is one accepted message.
type Delivery struct {
	ID   string
	Body map[string]any
}

// Receiver is a webhook endpoint.
type Receiver struct {
	*httptest.Server
	secret string
	clock  func() time.Time

	mu       sync.Mutex
	script   []int
	got      []Delivery
	badSig   int
	attempts []string
	arrived  chan struct{}
}

// New starts a receiver for messages signed with secret, checked at the
// times clock gives; it answers the statuses of script in turn (a 429 with
// Retry-After: 120), then 204 and records the message.
func New(t testing.TB, secret string, clock func() time.Time, script ...int) *Receiver {
	r := &Receiver{secret: secret, clock: clock, script: script, arrived: make(chan struct{}, 1000)}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Close)
	return r
}

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	if !Verify(req.Header, body, r.secret, r.clock()) {
		r.badSig++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	r.attempts = append(r.attempts, req.Header.Get("webhook-id"))
	if len(r.script) > 0 {
		status := r.script[0]
		r.script = r.script[1:]
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "120")
		}
		w.WriteHeader(status)
		return
	}
	var m map[string]any
	_ = json.Unmarshal(body, &m)
	r.got = append(r.got, Delivery{req.Header.Get("webhook-id"), m})
	w.WriteHeader(http.StatusNoContent)
	r.arrived <- struct{}{}
}

// Script sets the statuses to answer next.
func (r *Receiver) Script(statuses ...int) {
	r.mu.Lock()
	r.script = statuses
	r.mu.Unlock()
}

// Got returns the accepted messages, the count of refused signatures and
// the webhook-id of every correctly signed attempt.
func (r *Receiver) Got() (got []Delivery, badSignatures int, attempts []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Delivery(nil), r.got...), r.badSig, append([]string(nil), r.attempts...)
}

// Wait blocks until n messages were accepted in all or timeout passed, and
// returns them.
func (r *Receiver) Wait(n int, timeout time.Duration) []Delivery {
	deadline := time.After(timeout)
	for {
		got, _, _ := r.Got()
		if len(got) >= n {
			return got
		}
		select {
		case <-r.arrived:
		case <-deadline:
			return got
		}
	}
}
