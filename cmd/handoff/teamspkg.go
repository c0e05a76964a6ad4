package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/handoff/handoff/config"
	"github.com/handoff/handoff/teamsapp"
)

// teamsPackageFlags declares `handoff teams-package`'s flags.
func teamsPackageFlags(fs *flag.FlagSet, e env) runFunc {
	appID := fs.String("app-id", "", "the Azure Bot's Microsoft App ID (default TEAMS_APP_ID or TEAMS_APP_ID_FILE)")
	host := fs.String("host", "", "the public host name Handoff answers on, e.g. handoff.example.com")
	out := fs.String("o", "handoff-teams.zip", "where to write the package")
	return func(ctx context.Context, e env) error { return runTeamsPackage(e, *appID, *host, *out) }
}

// runTeamsPackage writes the Teams app package to upload in Teams. Without
// --app-id it reads TEAMS_APP_ID as the configuration does (from
// TEAMS_APP_ID_FILE when that is set).
func runTeamsPackage(e env, appID, host, out string) error {
	if host == "" || len(e.args) > 0 {
		return usageError("--host is required, and no arguments")
	}
	if appID == "" {
		getenv, err := config.SecretEnv(e.getenv, "TEAMS_APP_ID")
		if err != nil {
			return err
		}
		appID = strings.TrimSpace(getenv("TEAMS_APP_ID"))
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	if err := teamsapp.Write(f, appID, host); err != nil {
		f.Close()
		os.Remove(out)
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote %s: upload it in Teams (Apps → Manage your apps → Upload an app)\n", out)
	return nil
}
