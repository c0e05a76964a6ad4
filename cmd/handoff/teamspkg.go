package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	teamsapp "github.com/handoff/handoff/teams"
)

// runTeamsPackage writes the Teams app package to upload in Teams.
func runTeamsPackage(ctx context.Context, e env) error {
	fs := flag.NewFlagSet("teams-package", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	appID := fs.String("app-id", e.getenv("TEAMS_APP_ID"), "the Azure Bot's Microsoft App ID (default TEAMS_APP_ID)")
	host := fs.String("host", "", "the public host name Handoff answers on, e.g. handoff.example.com")
	out := fs.String("o", "handoff-teams.zip", "where to write the package")
	if err := fs.Parse(e.args); err != nil {
		return &exitError{code: 2, err: err}
	}
	if *host == "" {
		return &exitError{code: 2, err: fmt.Errorf("usage: handoff teams-package --host handoff.example.com [--app-id GUID] [-o handoff-teams.zip]")}
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	if err := teamsapp.Write(f, *appID, *host); err != nil {
		f.Close()
		os.Remove(*out)
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote %s: upload it in Teams (Apps → Manage your apps → Upload an app)\n", *out)
	return nil
}
