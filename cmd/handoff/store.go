package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/handoff/handoff/config"
	"github.com/handoff/handoff/storage"
)

// loadConfig reads the configuration from the command's environment.
func loadConfig(e env) (config.Config, error) {
	cfg, err := config.Load(e.getenv)
	if err != nil {
		return cfg, err
	}
	return cfg, nil
}

// openStore opens and migrates the configured database with opts.
func openStore(ctx context.Context, cfg config.Config, opts storage.Options) (*storage.Store, error) {
	s, err := storage.Open(ctx, cfg.DatabaseURL, opts)
	if err != nil {
		return nil, err
	}
	if err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// warmStore opens the store's connection pool before the first request
// (storage.Store.Warm). A pool that could not be warmed is logged, not
// fatal: the store opens connections as requests need them.
func warmStore(ctx context.Context, store *storage.Store, logger *slog.Logger) {
	start := time.Now()
	if err := store.Warm(ctx); err != nil {
		logger.WarnContext(ctx, "database connections not warmed; the first requests open them", "err", err)
		return
	}
	logger.InfoContext(ctx, "database connections warmed", "took", time.Since(start).Round(time.Millisecond))
}

// clockOf is the clock a command runs on: this process's (e.wall) moved
// onto the database's of store (storage.Store.Clock), as serve's is, so
// that what a command stamps, queues or counts a period from is on the
// time the replicas keep; this process's own without a store (nil).
func (e env) clockOf(store *storage.Store) func() time.Time {
	wall := e.wall
	if wall == nil {
		wall = time.Now
	}
	if store == nil {
		return wall
	}
	return store.Clock(wall)
}

// withStore loads the configuration, opens and migrates the store (its
// clock measured against e.wall, clockOf), runs f and closes the store.
func withStore(ctx context.Context, e env, f func(cfg config.Config, store *storage.Store) error) error {
	cfg, err := loadConfig(e)
	if err != nil {
		return err
	}
	store, err := openStore(ctx, cfg, storage.Options{Clock: e.wall})
	if err != nil {
		return err
	}
	defer store.Close()
	return f(cfg, store)
}

func runMigrate(ctx context.Context, e env) error {
	cfg, err := loadConfig(e)
	if err != nil {
		return err
	}
	s, err := openStore(ctx, cfg, storage.Options{})
	if err != nil {
		return err
	}
	defer s.Close()
	fmt.Fprintf(e.stdout, "migrated %s database\n", s.Dialect())
	// In the foreground, for an admin who would rather have it done
	// before the replicas start; serve does it in the background.
	b, err := s.BackfillStageTimes(ctx, func() {
		fmt.Fprintln(e.stdout, "dating the stage times of earlier leads from their history")
	})
	if err != nil {
		fmt.Fprintf(e.stdout, "dated %d leads before it stopped; handoff migrate or serve goes on from there\n", b.Dated)
		return err
	}
	printStageTimes(e.stdout, b)
	return nil
}

func runConfig(ctx context.Context, e env) error {
	if len(e.args) == 0 || e.args[0] != "check" {
		return usageError("want: config check [file.yml]")
	}
	if len(e.args) > 2 {
		return usageError("unexpected argument %q", e.args[2])
	}
	if len(e.args) > 1 {
		if _, err := config.LoadAgreement(e.args[1]); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s: ok\n", e.args[1])
		return nil
	}
	cfg, err := loadConfig(e)
	if err != nil {
		return err
	}
	if err := cfg.CheckServe(); err != nil {
		return err
	}
	source := cfg.ConfigFile
	if source == "" {
		source = "defaults (no handoff.yml)"
	}
	fmt.Fprintf(e.stdout, "configuration ok, agreement from %s\n", source)
	red := cfg.Redacted()
	for _, k := range sortedKeys(red) {
		fmt.Fprintf(e.stdout, "  %-26s %s\n", k, red[k])
	}
	return nil
}
