package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/handoff/handoff/internal/redact"
	"github.com/handoff/handoff/webhook"
)

// webhooksFlags is "handoff webhooks test [--url URL]": it sends a signed
// webhook.test event to every endpoint of the agreement (or the one whose
// URL, or key, is given) and prints what came back, each endpoint named by
// its key and its URL as redact.Webhook shows it. It fails when any
// endpoint did not answer 2xx.
func webhooksFlags(fs *flag.FlagSet, _ env) runFunc {
	only := fs.String("url", "", "test only the endpoint with this URL (or the wh:… key outbox list shows)")
	return func(ctx context.Context, e env) error { return runWebhooksTest(ctx, e, *only) }
}

func runWebhooksTest(ctx context.Context, e env, only string) error {
	if len(e.args) != 1 || e.args[0] != "test" {
		return usageError("want: handoff webhooks test [--url URL]")
	}
	cfg, err := loadConfig(e)
	if err != nil {
		return err
	}
	eps := webhookEndpoints(cfg)
	if len(eps) == 0 {
		return fmt.Errorf("no webhooks in the agreement (%s): add webhooks: [{url, events}]", orNone(cfg.ConfigFile))
	}
	client := &http.Client{Timeout: 10 * time.Second}
	failed, tested := 0, 0
	for _, ep := range eps {
		key := webhook.Key(ep.URL)
		if only != "" && ep.URL != only && key != only {
			continue
		}
		tested++
		// The URL as logs show it: its path, query or userinfo may hold
		// the receiver's secret, and this output is pasted into tickets.
		// The key tells apart endpoints that show alike, as in outbox list.
		ans, err := webhook.TestEvent(ctx, client, ep, time.Now())
		if err != nil {
			failed++
			fmt.Fprintf(e.stdout, "%s %s: %v\n", key, ep.Redacted(), err)
			continue
		}
		if ans.Status < 200 || ans.Status > 299 {
			failed++
		}
		fmt.Fprintf(e.stdout, "%s %s: HTTP %d %s\n", key, ep.Redacted(), ans.Status, http.StatusText(ans.Status))
		if body := strings.TrimSpace(ans.Body); body != "" {
			fmt.Fprintf(e.stdout, "  %s\n", strings.ReplaceAll(body, "\n", "\n  "))
		}
	}
	if tested == 0 {
		return fmt.Errorf("no webhook with URL or key %q in the agreement", redact.Webhook(only))
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d endpoints did not accept the test event", failed, tested)
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "none loaded"
	}
	return s
}
