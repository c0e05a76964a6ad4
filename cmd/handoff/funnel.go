package main

import (
	"context"
	"time"

	"github.com/handoff/handoff/config"
	"github.com/handoff/handoff/report"
	"github.com/handoff/handoff/storage"
)

// runFunnel prints the funnel KPIs for a period on the terminal.
func runFunnel(ctx context.Context, e env) error {
	return withStore(ctx, e, func(cfg config.Config, store *storage.Store) error {
		return report.RunFunnelCommand(ctx, e.args, store, cfg.Policy, time.Now(), e.stdout)
	})
}

// runDigest prints the weekly SLA digest, or queues it for the managers.
func runDigest(ctx context.Context, e env) error {
	return withStore(ctx, e, func(cfg config.Config, store *storage.Store) error {
		return report.RunDigestCommand(ctx, e.args, store, cfg.Policy, time.Now(), e.stdout)
	})
}
