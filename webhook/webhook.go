// Package webhook tells other systems what happened to leads: it delivers
// the outbox's webhook messages, signed as Standard Webhooks says, to the
// endpoints of the agreement, in a lane of its own beside chat. Delivery is
// at least once and in order per lead and endpoint: 5xx answers, timeouts
// and 429 are retried with growing waits (honouring Retry-After), another
// answer or 24 hours of failures make the message dead, kept with the other
// dead outbox messages.
package webhook

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/handlers"
	"github.com/handoff/handoff/internal/redact"
	"github.com/handoff/handoff/standardwebhooks"
)

// Endpoint is one receiver of webhooks.
type Endpoint struct {
	URL    string
	Secret string // whsec_…
	Events []handoff.WebhookEvent
}

// String shows the endpoint without its secrets: the URL as Redacted shows
// it, the secret as set or not.
func (e Endpoint) String() string {
	sec := "(unset)"
	if e.Secret != "" {
		sec = "(set)"
	}
	return fmt.Sprintf("{%s %v secret %s}", e.Redacted(), e.Events, sec)
}

// GoString is String, so %#v does not leak secrets either.
func (e Endpoint) GoString() string { return e.String() }

// Redacted is the endpoint's URL as logs, stored errors and the commands'
// output show it: redact.Webhook's, the scheme, host and at most the first
// path segment. Key tells apart two endpoints that show alike.
func (e Endpoint) Redacted() string { return redact.Webhook(e.URL) }

// Key names an endpoint in the outbox: stable while its URL is.
func Key(url string) string {
	sum := sha256.Sum256([]byte(url))
	return "wh:" + hex.EncodeToString(sum[:6])
}

// Routes are the outbox routes of endpoints, for the store.
func Routes(endpoints []Endpoint) []handoff.WebhookRoute {
	out := make([]handoff.WebhookRoute, len(endpoints))
	for i, e := range endpoints {
		out[i] = handoff.WebhookRoute{Key: Key(e.URL), Events: e.Events}
	}
	return out
}

// Body is what an endpoint receives.
type Body struct {
	Type      handoff.WebhookEvent `json:"type"`
	Timestamp time.Time            `json:"timestamp"`
	Data      any                  `json:"data"`
}

// EventData is the data of a lead event: the lead as GET /api/leads
// returns it (read when delivered, so an erased lead carries no personal
// data), who acted, and the stage and details of the event.
type EventData struct {
	Lead    handlers.LeadJSON `json:"lead"`
	Actor   string            `json:"actor"`
	Stage   handoff.Stage     `json:"stage"`
	Details map[string]string `json:"details,omitempty"`
}

// Answer is what an endpoint answered.
type Answer struct {
	Status     int
	Body       string // at most 4 KiB
	RetryAfter time.Duration
}

// Post sends body to the endpoint, signed with its secret as message id at
// time now, and returns the answer. A transport error (refused, timed out)
// is returned as err.
func Post(ctx context.Context, client *http.Client, ep Endpoint, id string, now time.Time, body []byte) (Answer, error) {
	signer, err := standardwebhooks.NewSigner(ep.Secret)
	if err != nil {
		return Answer{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.URL, bytes.NewReader(body))
	if err != nil {
		return Answer{}, fmt.Errorf("webhook: %w", redact.URLError(err, redact.Webhook))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Handoff-Webhooks/1")
	signer.SetHeaders(req.Header, id, now, body)
	resp, err := client.Do(req)
	if err != nil {
		// The client's *url.Error names the URL (Post "https://…": the
		// cause), whose path, query or userinfo may hold the receiver's
		// secret: the error is logged and stored as the message's last
		// error.
		return Answer{}, fmt.Errorf("webhook: %w", redact.URLError(err, redact.Webhook))
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	return Answer{Status: resp.StatusCode, Body: string(b), RetryAfter: retryAfter(resp.Header.Get("Retry-After"), now)}, nil
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	var secs int
	if _, err := fmt.Sscanf(v, "%d", &secs); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// TestEvent sends a signed webhook.test event to the endpoint and returns
// what came back.
func TestEvent(ctx context.Context, client *http.Client, ep Endpoint, now time.Time) (Answer, error) {
	body, err := json.Marshal(Body{Type: handoff.WebhookTest, Timestamp: now.UTC(),
		Data: map[string]string{"message": "A test event from handoff webhooks test."}})
	if err != nil {
		return Answer{}, err
	}
	return Post(ctx, client, ep, fmt.Sprintf("msg_test_%d", now.UnixNano()), now, body)
}
