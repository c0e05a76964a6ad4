package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/handoff/handoff/config"
	"github.com/handoff/handoff/storage"
)

// forgetFlags declares `handoff forget`'s flags: --email x@y or
// --external-id ID.
func forgetFlags(fs *flag.FlagSet, _ env) runFunc {
	email := fs.String("email", "", "erase every lead with this email address")
	externalID := fs.String("external-id", "", "erase the lead with this external id")
	return func(ctx context.Context, e env) error { return runForget(ctx, e, *email, *externalID) }
}

// runForget erases a person's data by email or external id, stopping the
// SLA clock under the configured agreement as the server's clock runs it.
func runForget(ctx context.Context, e env, email, externalID string) error {
	if (email == "") == (externalID == "") || len(e.args) > 0 {
		return usageError("give one of --email or --external-id")
	}
	return withStore(ctx, e, func(cfg config.Config, store *storage.Store) error {
		now := e.clockOf(store)().UTC() // the time the replicas keep
		if externalID != "" {
			if err := store.ForgetLead(ctx, externalID, cfg.Policy, now); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "erased lead %s\n", externalID)
			return nil
		}
		n, err := store.ForgetEmail(ctx, email, cfg.Policy, now)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "erased %d lead(s) with email %s\n", n, email)
		return nil
	})
}
