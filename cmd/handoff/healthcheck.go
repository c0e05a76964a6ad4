package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/handoff/handoff/config"
)

// healthcheckFlags declares `handoff healthcheck`'s flags.
func healthcheckFlags(fs *flag.FlagSet, _ env) runFunc {
	url := fs.String("url", "", "the URL to ask (default http://127.0.0.1:PORT/healthz from HANDOFF_ADDR or PORT)")
	timeout := fs.Duration("timeout", 3*time.Second, "how long to wait for the answer")
	return func(ctx context.Context, e env) error { return runHealthcheck(ctx, e, *url, *timeout) }
}

// runHealthcheck asks a running server's /healthz and exits 0 when it
// answers 200: the container HEALTHCHECK, since slim images have no curl.
// The address comes from HANDOFF_ADDR or PORT as serve reads them (each
// from its _FILE variant when that is set).
func runHealthcheck(ctx context.Context, e env, url string, timeout time.Duration) error {
	if len(e.args) > 0 {
		return usageError("unexpected argument %q", e.args[0])
	}
	if url == "" {
		getenv, err := config.SecretEnv(e.getenv, "HANDOFF_ADDR", "PORT")
		if err != nil {
			return fmt.Errorf("healthcheck: %w", err)
		}
		addr, _ := config.ListenAddr(getenv)
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return fmt.Errorf("healthcheck: listen address %q: %w", addr, err)
		}
		if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
			host = "127.0.0.1"
		}
		url = "http://" + net.JoinHostPort(host, port) + "/healthz"
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return &exitError{code: 2, err: fmt.Errorf("healthcheck: %w", err)}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %s", url, resp.Status)
	}
	fmt.Fprintf(e.stdout, "ok: %s\n", url)
	return nil
}
