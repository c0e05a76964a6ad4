package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/handoff/handoff/config"
	"github.com/handoff/handoff/storage"
)

// runForget erases a person's data: handoff forget --email x@y, or
// --external-id ID.
func runForget(ctx context.Context, e env) error {
	fs := flag.NewFlagSet("forget", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	email := fs.String("email", "", "erase every lead with this email address")
	externalID := fs.String("external-id", "", "erase the lead with this external id")
	if err := fs.Parse(e.args); err != nil {
		return &exitError{code: 2, err: err}
	}
	if (*email == "") == (*externalID == "") {
		return &exitError{code: 2, err: fmt.Errorf("usage: handoff forget --email x@y | --external-id ID")}
	}
	return withStore(ctx, e, func(_ config.Config, store *storage.Store) error {
		now := time.Now().UTC()
		if *externalID != "" {
			if err := store.ForgetLead(ctx, *externalID, now); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "erased lead %s\n", *externalID)
			return nil
		}
		n, err := store.ForgetEmail(ctx, *email, now)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "erased %d lead(s) with email %s\n", n, *email)
		return nil
	})
}
