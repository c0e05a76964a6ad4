package report

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/text"
)

// DigestStore is what the digest command needs from storage;
// *storage.Store implements it.
type DigestStore interface {
	bot.DigestStore
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

// RunDigestCommand runs `handoff digest` with args (the arguments after
// "digest"): for --week (default last-week, else "week" or an ISO week
// such as 2026-W47, in policy's time zone) it either renders the digest as
// text to stdout (--print) or queues it as a handoff.OutboxDigest message,
// which the running server's dispatcher posts to every managers' channel.
// -h prints the usage to stdout and returns nil. A bad flag or week returns
// an EINVALID error; a store failure is returned wrapped.
func RunDigestCommand(ctx context.Context, args []string, store DigestStore, policy handoff.Policy, now time.Time, stdout io.Writer) error {
	fs := flag.NewFlagSet("digest", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	week := fs.String("week", "last-week", "the ISO week: last-week, week or 2026-W47")
	toTerminal := fs.Bool("print", false, "write the digest to the terminal instead of sending it")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, digestUsage)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return nil
		}
		return handoff.Errorf(handoff.EINVALID, "digest: %v (see handoff digest -h)", err)
	}
	if fs.NArg() > 0 {
		return handoff.Errorf(handoff.EINVALID, "digest: unexpected argument %q (see handoff digest -h)", fs.Arg(0))
	}
	p, err := handoff.ParsePeriod(*week, now, policy.Location)
	if err != nil || !strings.Contains(p.Label, "-W") {
		return handoff.Errorf(handoff.EINVALID, "digest: %q is not a week; use last-week, week or an ISO week such as 2026-W47", *week)
	}
	req := handoff.DigestRequest{Week: p.Label, Start: p.Start, End: p.End}
	if *toTerminal {
		msg, err := bot.BuildDigest(ctx, store, policy, req, now)
		if err != nil {
			return fmt.Errorf("digest: %w", err)
		}
		_, err = io.WriteString(stdout, text.Render(msg))
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
