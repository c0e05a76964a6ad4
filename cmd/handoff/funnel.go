package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot/report"
	"github.com/handoff/handoff/config"
	"github.com/handoff/handoff/storage"
)

// The reporting commands: `handoff funnel` and `handoff digest` parse their
// flags here (with the shared parseArgs, so flags may follow arguments) and
// leave the numbers and the rendering to bot/report. Their -h needs no
// database, so it is answered before the store is opened.

// runFunnel prints the funnel KPIs for a period on the terminal.
func runFunnel(ctx context.Context, e env) error {
	if wantsHelp(e.args) { // the usage needs no database
		return funnelCommand(ctx, e.args, nil, handoff.Policy{}, time.Now(), e.stdout)
	}
	return withStore(ctx, e, func(cfg config.Config, store *storage.Store) error {
		return funnelCommand(ctx, e.args, store, cfg.Policy, time.Now(), e.stdout)
	})
}

// runDigest prints the weekly SLA digest, or queues it for the managers.
func runDigest(ctx context.Context, e env) error {
	if wantsHelp(e.args) { // the usage needs no database
		return digestCommand(ctx, e.args, nil, handoff.Policy{}, time.Now(), e.stdout)
	}
	return withStore(ctx, e, func(cfg config.Config, store *storage.Store) error {
		return digestCommand(ctx, e.args, store, cfg.Policy, time.Now(), e.stdout)
	})
}

// funnelStore is what the funnel command needs from storage.
type funnelStore interface {
	FunnelCounts(ctx context.Context, f handoff.FunnelFilter) (handoff.FunnelCounts, error)
}

const funnelUsage = `Usage: handoff funnel [--period P] [--source S] [--owner O] [--format table|json|csv] [--header=false]

Prints the funnel KPIs for a period in the agreement's time zone.

Periods: ` + handoff.PeriodForms + `.
The default is month (the current one).

Flags:
`

// funnelCommand runs `handoff funnel` with args (the arguments after
// "funnel"): it computes the funnel for --period (default month) in
// policy's time zone as of now, optionally for one --source or --owner
// (platform user id or email), and writes it to stdout as a table, JSON or
// CSV (--format; --header=false leaves out the CSV header, for appending).
// -h prints the usage to stdout and returns nil. A bad flag, period or format
// returns an EINVALID error; a store failure is returned wrapped.
func funnelCommand(ctx context.Context, args []string, store funnelStore, policy handoff.Policy, now time.Time, stdout io.Writer) error {
	fs := flag.NewFlagSet("funnel", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	period := fs.String("period", handoff.DefaultPeriod, "the period: week, month, last-month, 2026-11, 2026-Q4, 2026-W47, 2026, …")
	source := fs.String("source", "", "only leads from this source")
	owner := fs.String("owner", "", "only leads owned by this rep (platform user id or email)")
	format := fs.String("format", report.Formats[0], "output format: "+strings.Join(report.Formats, ", "))
	header := fs.Bool("header", true, "with --format csv, write the header row")
	usage := func() {
		fmt.Fprint(stdout, funnelUsage)
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	rest, err := parseArgs(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage()
			return nil
		}
		return handoff.Errorf(handoff.EINVALID, "funnel: %v (see handoff funnel -h)", err)
	}
	if len(rest) > 0 {
		return handoff.Errorf(handoff.EINVALID, "funnel: unexpected argument %q (see handoff funnel -h)", rest[0])
	}
	if !slices.Contains(report.Formats, *format) {
		return handoff.Errorf(handoff.EINVALID, "funnel: unknown format %q; use %s", *format, strings.Join(report.Formats, ", "))
	}
	p, err := handoff.ParsePeriod(*period, now, policy.Location)
	if err != nil {
		return fmt.Errorf("funnel: %w", err)
	}
	filter := handoff.FunnelFilter{Period: p, Source: strings.TrimSpace(*source), Owner: strings.TrimSpace(*owner), Now: now}
	counts, err := store.FunnelCounts(ctx, filter)
	if err != nil {
		return fmt.Errorf("funnel: %w", err)
	}
	f := handoff.NewFunnel(filter, counts, policy)
	if *format == "csv" {
		return report.WriteCSV(stdout, f, *header)
	}
	return report.Write(stdout, f, *format)
}

// digestStore is what the digest command needs from storage;
// *storage.Store implements it.
type digestStore interface {
	report.DigestStore
	Enqueue(ctx context.Context, now time.Time, msgs ...handoff.OutboxMessage) error
}

const digestUsage = `Usage: handoff digest [--week W] [--print]

Builds the weekly SLA digest for an ISO week in the agreement's time zone.
With --print it is written to the terminal; without, it is queued for the
running server, which posts it to the managers' channels.

Weeks: last-week (the default), week (the current one, so far) or an ISO
week such as 2026-W47.

Flags:
`

// digestCommand runs `handoff digest` with args (the arguments after
// "digest"): for --week (default last-week, else "week" or an ISO week
// such as 2026-W47, in policy's time zone) it either renders the digest as
// text to stdout (--print) or queues it as a handoff.OutboxDigest message,
// which the running server's dispatcher posts to every managers' channel.
// -h prints the usage to stdout and returns nil. A bad flag or week returns
// an EINVALID error; a store failure is returned wrapped.
func digestCommand(ctx context.Context, args []string, store digestStore, policy handoff.Policy, now time.Time, stdout io.Writer) error {
	fs := flag.NewFlagSet("digest", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	week := fs.String("week", "last-week", "the ISO week: last-week, week or 2026-W47")
	toTerminal := fs.Bool("print", false, "write the digest to the terminal instead of sending it")
	rest, err := parseArgs(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, digestUsage)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return nil
		}
		return handoff.Errorf(handoff.EINVALID, "digest: %v (see handoff digest -h)", err)
	}
	if len(rest) > 0 {
		return handoff.Errorf(handoff.EINVALID, "digest: unexpected argument %q (see handoff digest -h)", rest[0])
	}
	p, err := handoff.ParsePeriod(*week, now, policy.Location)
	if err != nil || !strings.Contains(p.Label, "-W") {
		return handoff.Errorf(handoff.EINVALID, "digest: %q is not a week; use last-week, week or an ISO week such as 2026-W47", *week)
	}
	req := handoff.DigestRequest{Week: p.Label, Start: p.Start, End: p.End}
	if *toTerminal {
		msg, err := report.BuildDigest(ctx, store, policy, req, now)
		if err != nil {
			return fmt.Errorf("digest: %w", err)
		}
		_, err = io.WriteString(stdout, report.Render(msg))
		return err
	}
	payload, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("digest: %w", err)
	}
	if err := store.Enqueue(ctx, now.UTC(), handoff.OutboxMessage{Kind: handoff.OutboxDigest, Payload: string(payload)}); err != nil {
		return fmt.Errorf("digest: queue %s: %w", p.Label, err)
	}
	_, err = fmt.Fprintf(stdout, "Queued the SLA digest for %s; the running server posts it to the managers' channels.\n", p.Label)
	return err
}
