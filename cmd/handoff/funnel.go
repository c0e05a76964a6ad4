package main

import (
	"context"
	"time"

	"github.com/handoff/handoff/report"
)

// runFunnel prints the funnel KPIs for a period on the terminal.
func runFunnel(ctx context.Context, e env) error {
	cfg, err := loadConfig(e)
	if err != nil {
		return err
	}
	store, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	return report.RunFunnelCommand(ctx, e.args, store, cfg.Policy, time.Now(), e.stdout)
}

// runDigest prints the weekly SLA digest, or queues it for the managers.
func runDigest(ctx context.Context, e env) error {
	cfg, err := loadConfig(e)
	if err != nil {
		return err
	}
	store, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	return report.RunDigestCommand(ctx, e.args, store, cfg.Policy, time.Now(), e.stdout)
}
