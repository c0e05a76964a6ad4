package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/internal/webhooktest"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
	"github.com/handoff/handoff/webhook"
)

// handoff webhooks test names each endpoint (its key, its host and first
// path segment) and what went wrong without the URL's path secret, token or
// password: one cannot be reached, one answers 500. --url takes the key.
func TestWebhooksTestRedactsTheURL(t *testing.T) {
	down := webhooktest.ClosedPort(t)
	broken := webhooktest.New(t, testWebhookSecret, time.Now, 500)
	vars := map[string]string{"HANDOFF_WEBHOOK_SECRET": testWebhookSecret,
		"HANDOFF_CONFIG": writeAgreement(t, webhooktest.SecretURL(down), webhooktest.SecretURL(broken.URL))}
	e, out, errOut := testEnv(vars, "webhooks", "test")
	code := run(context.Background(), e)
	all := out.String() + errOut.String()
	if code != 1 || !strings.Contains(errOut.String(), "2 of 2 endpoints") {
		t.Fatalf("exit %d: %s", code, all)
	}
	if leak := webhooktest.ShownSecret(all); leak != "" {
		t.Errorf("webhooks test shows %q:\n%s", leak, all)
	}
	downKey, brokenKey := webhook.Key(webhooktest.SecretURL(down)), webhook.Key(webhooktest.SecretURL(broken.URL))
	for _, want := range []string{downKey + " " + webhooktest.Shown(down) + ": ", "connection refused",
		brokenKey + " " + webhooktest.Shown(broken.URL) + ": HTTP 500"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("webhooks test does not say %q:\n%s", want, all)
		}
	}
	// --url with an endpoint's key tests that one alone.
	broken.Script(500)
	e, out, errOut = testEnv(vars, "webhooks", "test", "--url", brokenKey)
	code = run(context.Background(), e)
	all = out.String() + errOut.String()
	if code != 1 || !strings.Contains(all, "1 of 1 endpoints") || !strings.Contains(out.String(), brokenKey) || strings.Contains(all, downKey) {
		t.Errorf("--url %s: exit %d: %s", brokenKey, code, all)
	}
	// --url with a URL not in the agreement: the refusal shows it redacted.
	e, out, errOut = testEnv(vars, "webhooks", "test", "--url", webhooktest.SecretURL("http://elsewhere.example.com"))
	code = run(context.Background(), e)
	all = out.String() + errOut.String()
	if leak := webhooktest.ShownSecret(all); code != 1 || leak != "" || !strings.Contains(all, webhooktest.Shown("http://elsewhere.example.com")) {
		t.Errorf("exit %d, shows %q: %s", code, leak, all)
	}
}

// handoff outbox list shows a dead webhook message's last error without
// the endpoint URL's path secret, token or password, for messages the sender gave up on
// (unreachable, 500) and for one stored before errors were redacted.
func TestOutboxListRedactsWebhookErrors(t *testing.T) {
	for _, dialect := range storagetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			vars := map[string]string{"DATABASE_URL": storagetest.URL(t, dialect)}
			store := storagetest.OpenURL(t, vars["DATABASE_URL"], storage.Options{})
			var mu sync.Mutex
			now := time.Now().UTC()
			clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
			down := webhooktest.ClosedPort(t)
			broken := webhooktest.New(t, testWebhookSecret, clock, 500)
			const old = "http://hooks.example.com:8443"
			events := []handoff.WebhookEvent{handoff.WebhookAnnounced}
			eps := []webhook.Endpoint{{URL: webhooktest.SecretURL(down), Secret: testWebhookSecret, Events: events},
				{URL: webhooktest.SecretURL(broken.URL), Secret: testWebhookSecret, Events: events},
				{URL: webhooktest.SecretURL(old), Secret: testWebhookSecret, Events: events}}
			store.RouteWebhooks(webhook.Routes(eps))
			snd := &webhook.Sender{Store: store, Endpoints: eps[:2], Now: clock, Client: &http.Client{Timeout: 5 * time.Second},
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
			in, err := handoff.ParseLeadInput(map[string]any{"external_id": "hs-secret", "name": "Ann Berg"}, now)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := store.SaveLead(ctx, in, handoff.DefaultPolicy(), now, "marketing"); err != nil {
				t.Fatal(err)
			}
			// The third endpoint's message as an earlier version stored it,
			// the URL whole.
			taken, err := store.TakeWebhooks(ctx, now, 10, time.Minute, "old")
			if err != nil || len(taken) != 3 {
				t.Fatalf("take = %+v, %v", taken, err)
			}
			for _, m := range taken {
				if m.Platform == webhook.Key(eps[2].URL) {
					cause := "permanent: webhook: post to " + eps[2].URL + `: Post "` + strings.Replace(eps[2].URL, ":pw@", ":***@", 1) + `": EOF`
					if err := store.FailOutbox(ctx, m, now, cause); err != nil {
						t.Fatal(err)
					}
				} else if err := store.RetryOutbox(ctx, m, now, ""); err != nil {
					t.Fatal(err)
				}
			}
			if n, err := snd.RunOnce(ctx); n != 2 || err != nil {
				t.Fatalf("first round took %d: %v", n, err)
			}
			mu.Lock()
			now = now.Add(24*time.Hour + time.Minute)
			mu.Unlock()
			broken.Script(500)
			if n, err := snd.RunOnce(ctx); n != 2 || err != nil {
				t.Fatalf("round after 24 h took %d: %v", n, err)
			}
			for _, format := range []string{"table", "json"} {
				e, out, errOut := testEnv(vars, "outbox", "list", "--format", format)
				if code := run(ctx, e); code != 0 {
					t.Fatalf("exit %d: %s%s", code, out, errOut)
				}
				all := out.String() + errOut.String()
				if leak := webhooktest.ShownSecret(all); leak != "" {
					t.Errorf("outbox list --format %s shows %q:\n%s", format, leak, all)
				}
				for _, want := range []string{webhooktest.Shown(down), "connection refused", webhooktest.Shown(broken.URL), "HTTP 500", webhooktest.Shown(old), "EOF"} {
					if !strings.Contains(out.String(), want) {
						t.Errorf("outbox list --format %s does not say %q:\n%s", format, want, all)
					}
				}
			}
		})
	}
}
