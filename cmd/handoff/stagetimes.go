package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/handoff/handoff/storage"
)

// wireStageTimes adds the worker that dates, once, when each lead stored
// by a version before this one entered its stage (storage.Store.
// BackfillStageTimes), in the background: on PostgreSQL that takes
// minutes over a million leads, and serve answers clicks and intake from
// its start, a write to a lead waiting for one batch of the backfill at
// most. Until a lead is dated, Lead.EnteredStageAt falls back to its last
// update, as before the upgrade.
func (a *app) wireStageTimes() error {
	a.addWorker("stage-times", func(ctx context.Context) error {
		backfillStageTimes(ctx, a.store, a.logger)
		return nil
	})
	return nil
}

// backfillStageTimes runs the backfill of the stage times of earlier
// leads and logs what it did: nothing when it was done before, that it
// started and what it dated, that another replica is running it, or that
// it stopped (ctx ended: serve shutting down) or failed. Neither is fatal
// to serve: the next start takes it up where it stopped.
func backfillStageTimes(ctx context.Context, store *storage.Store, logger *slog.Logger) {
	const what = "stage times of earlier leads"
	b, err := store.BackfillStageTimes(ctx, func() {
		logger.Info("dating the " + what + " from their history, in the background")
	})
	switch {
	case err != nil && ctx.Err() != nil:
		logger.Info("stopped dating the "+what+"; the next start goes on", "leads", b.Dated)
	case err != nil:
		logger.Error("dating the "+what+" failed; the next start tries again", "leads", b.Dated, "err", err)
	case b.Elsewhere:
		logger.Info("another replica is dating the " + what)
	case b.Batches > 0:
		logger.Info("dated the "+what, "leads", b.Dated, "batches", b.Batches,
			"took", b.Took.Round(time.Millisecond), "longest_batch", b.Longest.Round(time.Millisecond))
	}
}

// printStageTimes says on w what BackfillStageTimes did for handoff
// migrate: nothing when it was done before.
func printStageTimes(w io.Writer, b storage.StageTimesBackfill) {
	switch {
	case b.Elsewhere:
		fmt.Fprintln(w, "another process (a replica of serve) is dating the stage times of earlier leads")
	case b.Batches > 0:
		fmt.Fprintf(w, "dated the stage times of %d earlier leads in %s, in transactions of %s at most\n",
			b.Dated, b.Took.Round(time.Millisecond), b.Longest.Round(time.Millisecond))
	}
}
