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

// The reporting commands: `handoff funnel` and `handoff digest` declare
// their flags here for the command table and leave the numbers and the
// rendering to bot/report.

const funnelUsage = `handoff funnel [--period P] [--source S] [--owner O] [--format table|json|csv] [--header=false]

Prints the funnel KPIs for a period in the agreement's time zone.

Periods: ` + handoff.PeriodForms + `.
The default is month (the current one).`

// funnelOptions are `handoff funnel`'s flags.
type funnelOptions struct {
	period, source, owner, format string
	header                        bool
}

func (o *funnelOptions) declare(fs *flag.FlagSet) {
	fs.StringVar(&o.period, "period", handoff.DefaultPeriod, "the period: week, month, last-month, 2026-11, 2026-Q4, 2026-W47, 2026, …")
	fs.StringVar(&o.source, "source", "", "only leads from this source")
	fs.StringVar(&o.owner, "owner", "", "only leads owned by this rep (platform user id or email)")
	fs.StringVar(&o.format, "format", report.Formats[0], "output format: "+strings.Join(report.Formats, ", "))
	fs.BoolVar(&o.header, "header", true, "with --format csv, write the header row")
}

// funnelFlags is `handoff funnel` in the command table.
func funnelFlags(fs *flag.FlagSet, _ env) runFunc {
	var o funnelOptions
	o.declare(fs)
	return withReportStore(func() error { return o.check() }, nil, func(ctx context.Context, s *storage.Store, p handoff.Policy, now time.Time, w io.Writer) error {
		return o.run(ctx, s, p, now, w)
	})
}

// withReportStore is a reporting command that takes no arguments: check
// validates its flags before anything is read (an error is a wrong use,
// exit 2), ready (when not nil) may refuse the configuration before the
// store is opened, then report runs on the configured store and agreement
// as of now, the time the replicas keep (clockOf): on this machine's clock,
// a machine whose clock was off counted "month" or "last-month" from
// another day than the service does.
func withReportStore(check func() error, ready func(cfg config.Config) error, report func(ctx context.Context, s *storage.Store, p handoff.Policy, now time.Time, w io.Writer) error) runFunc {
	return func(ctx context.Context, e env) error {
		if len(e.args) > 0 {
			return usageError("unexpected argument %q", e.args[0])
		}
		if err := check(); err != nil {
			return &exitError{code: 2, err: err}
		}
		cfg, err := loadConfig(e)
		if err != nil {
			return err
		}
		if ready != nil {
			if err := ready(cfg); err != nil {
				return err
			}
		}
		store, err := openStore(ctx, cfg, storage.Options{Clock: e.wall})
		if err != nil {
			return err
		}
		defer store.Close()
		return report(ctx, store, cfg.Policy, e.clockOf(store)(), e.stdout)
	}
}

// funnelStore is what the funnel command needs from storage.
type funnelStore interface {
	FunnelCounts(ctx context.Context, f handoff.FunnelFilter) (handoff.FunnelCounts, error)
}

// run computes the funnel for the period (in policy's time zone as of
// now), optionally for one source or owner (platform user id or email),
// and writes it to stdout as a table, JSON or CSV (without the header row
// when header is false, for appending). A bad period or format returns an
// EINVALID error; a store failure is returned wrapped.
func (o funnelOptions) run(ctx context.Context, store funnelStore, policy handoff.Policy, now time.Time, stdout io.Writer) error {
	if err := o.check(); err != nil {
		return err
	}
	p, err := handoff.ParsePeriod(o.period, now, policy.Location)
	if err != nil {
		return fmt.Errorf("funnel: %w", err)
	}
	filter := handoff.FunnelFilter{Period: p, Source: strings.TrimSpace(o.source), Owner: strings.TrimSpace(o.owner), Now: now}
	counts, err := store.FunnelCounts(ctx, filter)
	if err != nil {
		return fmt.Errorf("funnel: %w", err)
	}
	f := handoff.NewFunnel(filter, counts, policy)
	if o.format == "csv" {
		return report.WriteCSV(stdout, f, o.header)
	}
	return report.Write(stdout, f, o.format)
}

// check returns an EINVALID error for an unknown format or period. Whether
// a period is one depends on neither the date nor the time zone, so it is
// checked before the configuration is read.
func (o funnelOptions) check() error {
	if !slices.Contains(report.Formats, o.format) {
		return handoff.Errorf(handoff.EINVALID, "funnel: unknown format %q; use %s", o.format, strings.Join(report.Formats, ", "))
	}
	if _, err := handoff.ParsePeriod(o.period, time.Now(), nil); err != nil {
		return fmt.Errorf("funnel: %w", err)
	}
	return nil
}

// digestStore is what the digest command needs from storage;
// *storage.Store implements it.
type digestStore interface {
	report.DigestStore
	Enqueue(ctx context.Context, now time.Time, msgs ...handoff.OutboxMessage) error
}

const digestUsage = `handoff digest [--week W] [--print]

Builds the weekly SLA digest for an ISO week in the agreement's time zone.
With --print it is written to the terminal; without, it is queued for the
running server, which posts it to the managers' channels (refused when no
chat platform has a managers' channel).

Weeks: last-week (the default), week (the current one, so far) or an ISO
week such as 2026-W47.`

// digestOptions are `handoff digest`'s flags.
type digestOptions struct {
	week       string
	toTerminal bool
}

func (o *digestOptions) declare(fs *flag.FlagSet) {
	fs.StringVar(&o.week, "week", "last-week", "the ISO week: last-week, week or 2026-W47")
	fs.BoolVar(&o.toTerminal, "print", false, "write the digest to the terminal instead of sending it")
}

// digestFlags is `handoff digest` in the command table.
func digestFlags(fs *flag.FlagSet, _ env) runFunc {
	var o digestOptions
	o.declare(fs)
	ready := func(cfg config.Config) error {
		if o.toTerminal {
			return nil
		}
		return digestPoster(cfg)
	}
	return withReportStore(func() error { return o.check() }, ready, func(ctx context.Context, s *storage.Store, p handoff.Policy, now time.Time, w io.Writer) error {
		return o.run(ctx, s, p, now, w)
	})
}

// digestPoster refuses to queue a digest that the server could not post:
// it posts to the managers' channel of each configured chat platform, so
// one platform with such a channel is needed.
func digestPoster(cfg config.Config) error {
	if hasManagersChannel(cfg) {
		return nil
	}
	var unset []string
	if cfg.Slack.Enabled() {
		unset = append(unset, "SLACK_MANAGER_CHANNEL (channels.slack.managers in the agreement)")
	}
	if cfg.Teams.Enabled() {
		unset = append(unset, "TEAMS_MANAGER_CHANNEL (channels.teams.managers in the agreement)")
	}
	if len(unset) == 0 {
		return errors.New("digest: no chat platform is configured to post it: set SLACK_BOT_TOKEN and SLACK_MANAGER_CHANNEL (or TEAMS_APP_ID and TEAMS_MANAGER_CHANNEL), or write it to the terminal with --print")
	}
	return fmt.Errorf("digest: no managers' channel to post it to: set %s, or write it to the terminal with --print", strings.Join(unset, " or "))
}

// check returns an EINVALID error when --week is not a week (whatever the
// date and time zone).
func (o digestOptions) check() error {
	if p, err := handoff.ParsePeriod(o.week, time.Now(), nil); err != nil || !strings.Contains(p.Label, "-W") {
		return handoff.Errorf(handoff.EINVALID, "digest: %q is not a week; use last-week, week or an ISO week such as 2026-W47", o.week)
	}
	return nil
}

// run builds the digest of the week (last-week, week or an ISO week such
// as 2026-W47, in policy's time zone) and either renders it as text to
// stdout or queues it as a handoff.OutboxDigest message, which the running
// server's dispatcher posts to every managers' channel. A bad week returns
// an EINVALID error; a store failure is returned wrapped.
func (o digestOptions) run(ctx context.Context, store digestStore, policy handoff.Policy, now time.Time, stdout io.Writer) error {
	if err := o.check(); err != nil {
		return err
	}
	p, err := handoff.ParsePeriod(o.week, now, policy.Location)
	if err != nil {
		return fmt.Errorf("digest: %w", err)
	}
	req := handoff.DigestRequest{Week: p.Label, Start: p.Start, End: p.End}
	if o.toTerminal {
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
