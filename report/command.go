package report

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/handoff/handoff"
)

// FunnelStore is what the funnel command needs from storage.
type FunnelStore interface {
	FunnelCounts(ctx context.Context, f handoff.FunnelFilter) (handoff.FunnelCounts, error)
}

const funnelUsage = `Usage: handoff funnel [--period P] [--source S] [--owner O] [--format table|json|csv] [--header=false]

Prints the funnel KPIs for a period in the agreement's time zone.

Periods: ` + handoff.PeriodForms + `.
The default is month (the current one).

Flags:
`

// RunFunnelCommand runs `handoff funnel` with args (the arguments after
// "funnel"): it computes the funnel for --period (default month) in
// policy's time zone as of now, optionally for one --source or --owner
// (platform user id or email), and writes it to stdout as a table, JSON or
// CSV (--format; --header=false leaves out the CSV header, for appending).
// -h prints the usage to stdout and returns nil. A bad flag, period or format
// returns an EINVALID error; a store failure is returned wrapped.
func RunFunnelCommand(ctx context.Context, args []string, store FunnelStore, policy handoff.Policy, now time.Time, stdout io.Writer) error {
	fs := flag.NewFlagSet("funnel", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	period := fs.String("period", handoff.DefaultPeriod, "the period: week, month, last-month, 2026-11, 2026-Q4, 2026-W47, 2026, …")
	source := fs.String("source", "", "only leads from this source")
	owner := fs.String("owner", "", "only leads owned by this rep (platform user id or email)")
	format := fs.String("format", Formats[0], "output format: "+strings.Join(Formats, ", "))
	header := fs.Bool("header", true, "with --format csv, write the header row")
	usage := func() {
		fmt.Fprint(stdout, funnelUsage)
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage()
			return nil
		}
		return handoff.Errorf(handoff.EINVALID, "funnel: %v (see handoff funnel -h)", err)
	}
	if fs.NArg() > 0 {
		return handoff.Errorf(handoff.EINVALID, "funnel: unexpected argument %q (see handoff funnel -h)", fs.Arg(0))
	}
	if !slices.Contains(Formats, *format) {
		return handoff.Errorf(handoff.EINVALID, "funnel: unknown format %q; use %s", *format, strings.Join(Formats, ", "))
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
		return WriteCSV(stdout, f, *header)
	}
	return Write(stdout, f, *format)
}
