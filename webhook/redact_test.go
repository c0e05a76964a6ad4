package webhook_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/internal/testkit"
	"github.com/handoff/handoff/internal/webhooktest"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
	"github.com/handoff/handoff/webhook"
)

// An endpoint URL's path secret, token and password reach neither the
// stored last error nor the log, when the endpoint cannot be reached and
// when it answers 500, retried and then dead; both still name the
// endpoint (host and first path segment) and the cause.
func TestWebhookErrorsRedactTheURL(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		c := &clock{t: t0}
		down := webhooktest.ClosedPort(t)
		broken := webhooktest.New(t, secret, c.now, 500)
		eps := []webhook.Endpoint{
			{URL: webhooktest.SecretURL(down), Secret: secret, Events: []handoff.WebhookEvent{handoff.WebhookAnnounced}},
			{URL: webhooktest.SecretURL(broken.URL), Secret: secret, Events: []handoff.WebhookEvent{handoff.WebhookAnnounced}},
		}
		s.RouteWebhooks(webhook.Routes(eps))
		var logged testkit.LogBuffer
		snd := &webhook.Sender{Store: s, Endpoints: eps, Now: c.now, Client: &http.Client{Timeout: 5 * time.Second},
			Logger: slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelDebug}))}
		newLead(t, s, "hs-secret", t0)
		if n, err := snd.RunOnce(ctx); n != 2 || err != nil {
			t.Fatalf("first round took %d: %v", n, err)
		}
		c.add(24*time.Hour + time.Minute)
		broken.Script(500)
		if n, err := snd.RunOnce(ctx); n != 2 || err != nil {
			t.Fatalf("round after 24 h took %d: %v", n, err)
		}
		dead, err := s.DeadOutbox(ctx, 0)
		if err != nil || len(dead) != 2 {
			t.Fatalf("dead = %+v, %v", dead, err)
		}
		byKey := map[string]string{}
		for _, m := range dead {
			byKey[m.Platform] = m.LastError
			t.Logf("last error: %s", m.LastError)
		}
		for _, tc := range []struct {
			ep    webhook.Endpoint
			base  string
			cause string
		}{{eps[0], down, "connection refused"}, {eps[1], broken.URL, "HTTP 500"}} {
			shown := webhooktest.Shown(tc.base)
			got := byKey[webhook.Key(tc.ep.URL)]
			if leak := webhooktest.ShownSecret(got); leak != "" {
				t.Errorf("last error of %s shows %q: %s", shown, leak, got)
			}
			if !strings.Contains(got, shown) || !strings.Contains(got, tc.cause) {
				t.Errorf("last error %q does not name %s and %q", got, shown, tc.cause)
			}
			if !strings.Contains(logged.String(), shown) {
				t.Errorf("the log does not name %s:\n%s", shown, logged.String())
			}
		}
		if leak := webhooktest.ShownSecret(logged.String()); leak != "" {
			t.Errorf("the log shows %q:\n%s", leak, logged.String())
		}
	})
}

// A timed-out post's error keeps its cause and Timeout() without the URL's
// secrets.
func TestWebhookTimeoutRedactsTheURL(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	defer slow.Close()
	defer close(release)
	client := &http.Client{Timeout: 100 * time.Millisecond}
	_, err := webhook.TestEvent(context.Background(), client, webhook.Endpoint{URL: webhooktest.SecretURL(slow.URL), Secret: secret}, time.Now())
	var ne net.Error
	if err == nil || !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("err = %v, want a timeout", err)
	}
	shown := webhooktest.Shown(slow.URL)
	if leak := webhooktest.ShownSecret(err.Error()); leak != "" || !strings.Contains(err.Error(), shown) || !strings.Contains(err.Error(), "Client.Timeout exceeded") {
		t.Fatalf("err = %q: shows %q, or does not name %s and the timeout", err, leak, shown)
	}
}

// An endpoint printed with fmt shows neither the URL's secrets nor the
// signing secret.
func TestWebhookEndpointPrintsRedacted(t *testing.T) {
	ep := webhook.Endpoint{URL: webhooktest.SecretURL("http://hooks.example.com"), Secret: secret, Events: []handoff.WebhookEvent{handoff.WebhookClaimed}}
	out := fmt.Sprintf("%v %+v %#v %s", ep, ep, ep, ep.Redacted())
	if leak := webhooktest.ShownSecret(out); leak != "" || strings.Contains(out, secret) || !strings.Contains(out, webhooktest.Shown("http://hooks.example.com")) {
		t.Fatalf("printed endpoint: %s", out)
	}
}
