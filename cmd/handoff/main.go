// Command handoff runs the Handoff service and its tools: serve, demo,
// import, migrate, forget, funnel, digest, config check, chat test, healthcheck,
// teams-package and version (the table in commands).
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"sort"
	"syscall"
	"time"

	"github.com/handoff/handoff/handlers"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// env is what every command gets from the process: arguments, environment
// and output streams. Tests run commands with their own.
type env struct {
	args   []string
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// wall is this process's clock, against which a command's store
	// measures the database's (time.Now when nil; a test's clock off the
	// database's). Commands run on it moved onto the database's (clockOf).
	wall func() time.Time
}

// commands is the table of subcommands; flags.go parses their flags.
func commands() map[string]command {
	return map[string]command{
		"serve": {summary: "run the HTTP server, the outbox worker and the scheduler",
			usage: "handoff serve\n\nRuns the HTTP server, the outbox worker and the SLA scheduler until SIGTERM.\nSettings come from the environment and handoff.yml (see README.md).", flags: noFlags(runServe)},
		"demo": {summary: "replay a week of leads against a stand-in Slack: no account needed",
			usage: "handoff demo [--keep] [--quiet]\n\nRuns the real server against a stand-in Slack and replays a week of leads.", flags: demoFlags(cliDemoWaits)},
		"import": {summary: "import leads from a CSV file: handoff import leads.csv",
			usage: "handoff import [--batch N] [--quiet] [--old history|live] [--dry-run] [--encoding windows-1252] leads.csv|-\n\nImports a CSV export (Handoff, HubSpot or Salesforce columns); - reads standard input.\nThe file is read as UTF-8 (a UTF-16 byte order mark is recognised) unless --encoding names another;\na file that is not UTF-8 stops the import at its first bad line, before the batch holding it is saved.\nStops at the first SQL dated before its claim deadline that it would announce, unless --old says what such rows are.\n--dry-run saves nothing and says what the import would do.\nExits 1 when any row was rejected.", flags: importFlags},
		"migrate": {summary: "create or update the database tables and exit",
			usage: "handoff migrate\n\nCreates or updates the tables of DATABASE_URL, dates once the stage times of the leads an\nearlier version stored (serve does that in the background otherwise), and exits.", flags: noFlags(runMigrate)},
		"forget": {summary: "erase a person's data (GDPR): handoff forget --email x@y",
			usage: "handoff forget --email x@y | --external-id ID\n\nErases a person's data, keeping the anonymous stage history.", flags: forgetFlags},
		"outbox": {summary: "list, retry or drop chat messages given up on: handoff outbox list|retry|drop",
			usage: outboxUsage, flags: outboxFlags},
		"digest": {summary: "the weekly SLA digest: handoff digest --week 2026-W47 --print (or queue it for the managers' channel)",
			usage: digestUsage, flags: digestFlags},
		"funnel": {summary: "print the funnel KPIs: handoff funnel --period last-month --format table|json|csv",
			usage: funnelUsage, flags: funnelFlags},
		"score": {summary: "explain a lead's score, or try other scoring rules: handoff score --explain ID | --what-if agreement.yml",
			usage: scoreUsage, flags: scoreFlags},
		"config": {summary: "validate the configuration: handoff config check [file]",
			usage: "handoff config check [file.yml]\n\nValidates the configuration (environment and agreement), or one agreement file,\nand lists every problem at once.", flags: argsOnly(runConfig)},
		"version": {summary: "print the version", usage: "handoff version", flags: noFlags(runVersion)},
		"chat": {summary: "post a test message to the chat channels: handoff chat test",
			usage: "handoff chat test\n\nPosts a short message to the sales and managers' channels of Slack and Teams (those\nconfigured) and prints each platform's answer, naming the fix of a refusal an admin\ncan mend (the app not in the channel, a wrong channel id, a revoked token); exits 1\nwhen a sales channel is not set or any channel refused.", flags: chatFlags},
		"webhooks": {summary: "send a signed test event to the agreement's webhooks: handoff webhooks test",
			usage: "handoff webhooks test [--url URL]\n\nSends a signed webhook.test event to every webhook of the agreement (or the one\nwith URL, or with the wh:… key outbox list shows) and prints each answer, the\nendpoint named by its key and its URL up to the first path segment; exits 1\nwhen one did not answer 2xx.", flags: webhooksFlags},
		"healthcheck": {summary: "exit 0 when the server on HANDOFF_ADDR/PORT answers /healthz (for container health checks)",
			usage: "handoff healthcheck [--url URL] [--timeout D]\n\nAsks a running server's /healthz (on HANDOFF_ADDR or PORT) and exits 0 when it answers 200.", flags: healthcheckFlags},
		"teams-package": {summary: "build the Teams app package to upload: handoff teams-package --host handoff.example.com",
			usage: "handoff teams-package --host handoff.example.com [--app-id GUID] [-o handoff-teams.zip]\n\nWrites the Teams app package (manifest and icons) to upload in Teams.", flags: teamsPackageFlags},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := env{args: os.Args[1:], getenv: os.Getenv, stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}
	setGC(e.getenv)
	os.Exit(run(ctx, e))
}

// run dispatches to a subcommand and returns the process exit code.
func run(ctx context.Context, e env) int {
	if len(e.args) == 0 || e.args[0] == "help" || e.args[0] == "-h" || e.args[0] == "--help" {
		usage(e.stdout)
		return 0
	}
	name := e.args[0]
	cmd, ok := commands()[name]
	if !ok {
		fmt.Fprintf(e.stderr, "handoff: unknown command %q\n\n", e.args[0])
		usage(e.stderr)
		return 2
	}
	e.args = e.args[1:]
	return runCommand(ctx, name, cmd, e)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Handoff keeps the sales and marketing SLA in Slack and Microsoft Teams.")
	fmt.Fprintln(w, "\nUsage: handoff <command> [arguments]\n\nCommands:")
	cmds := commands()
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	width := 0
	for _, n := range names {
		width = max(width, len(n))
	}
	for _, n := range names {
		fmt.Fprintf(w, "  %-*s  %s\n", width, n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nConfiguration comes from the environment and handoff.yml; see README.md.")
}

// exitError carries a specific exit code.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func exitCode(err error) int {
	if ee, ok := err.(*exitError); ok {
		return ee.code
	}
	return 1
}

func runVersion(ctx context.Context, e env) error {
	fmt.Fprintf(e.stdout, "handoff %s\n", buildVersion())
	return nil
}

// buildVersion is the version set at build time, else the module version
// the Go toolchain recorded, else "dev".
func buildVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok && version == "dev" && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return version
}

// newLogger logs JSON, or text when w is a terminal, from level up, with
// the request id on every line logged during a request.
func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if isTerminal(w) {
		return slog.New(handlers.ContextHandler{Handler: slog.NewTextHandler(w, opts)})
	}
	opts.ReplaceAttr = readableDuration
	return slog.New(handlers.ContextHandler{Handler: slog.NewJSONHandler(w, opts)})
}

// readableDuration writes a duration as Go writes it ("12ms", "2m0s"), as
// the text handler and the configuration line do, rather than as JSON's
// count of nanoseconds.
func readableDuration(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		return slog.String(a.Key, a.Value.Duration().String())
	}
	return a
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
