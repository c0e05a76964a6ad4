package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/handoff/handoff"
	slackbot "github.com/handoff/handoff/bot/slack"
	teamsbot "github.com/handoff/handoff/bot/teams"
	"github.com/handoff/handoff/config"
	"github.com/handoff/handoff/internal/redact"
	"github.com/handoff/handoff/storage"
)

const outboxUsage = `handoff outbox list [--format table|json] [--limit N]
       handoff outbox retry ID... | --all
       handoff outbox drop ID... | --all
       handoff outbox drop --platform NAME --pending

Chat messages the outbox gave up on (a permanent error, or still failing
after the give-up deadline) are dead: kept, not sent. list shows them,
oldest first, with their last error; retry queues them again with a new
give-up deadline; drop deletes them. The metric handoff_outbox_dead
counts them. Messages a channel refused (the bot removed from it, the
channel archived or deleted, the app removed from its Teams team; list
names it under REFUSED BY) are queued again by themselves once the
platform says the app is back there, or once handoff chat test posts
there.

Messages for a platform this configuration does not enable (slack
without SLACK_BOT_TOKEN, teams without TEAMS_APP_ID) are not dead: they
wait, pending, for a replica configured with the platform, and list says
how many. When the platform was removed for good, drop --platform NAME
--pending deletes them (not those a replica holds at the moment), and
says how many; it refuses a platform this configuration enables.`

// outboxFlags declares `handoff outbox`'s flags; its first argument is
// the subcommand (list, retry or drop), the others message ids.
func outboxFlags(fs *flag.FlagSet, _ env) runFunc {
	format := fs.String("format", "table", "list: table or json")
	limit := fs.Int("limit", 0, "list: at most this many (0: all)")
	all := fs.Bool("all", false, "retry, drop: every dead message")
	platform := fs.String("platform", "", "drop --pending: the platform whose pending messages to delete")
	pending := fs.Bool("pending", false, "drop: the pending messages of --platform, which this configuration does not enable")
	return func(ctx context.Context, e env) error {
		if len(e.args) == 0 {
			return usageError("give list, retry or drop")
		}
		sub, args := e.args[0], e.args[1:]
		if (*pending || *platform != "") && (sub != "drop" || !*pending || *platform == "" || *all || len(args) > 0) {
			return usageError("outbox: --pending and --platform go together, with drop alone: drop --platform NAME --pending")
		}
		switch sub {
		case "list":
			if len(args) > 0 {
				return usageError("outbox list: unexpected argument %q", args[0])
			}
			if *format != "table" && *format != "json" {
				return usageError("outbox list: --format must be table or json, not %q", *format)
			}
			return withStore(ctx, e, func(cfg config.Config, store *storage.Store) error {
				dead, err := store.DeadOutbox(ctx, *limit)
				if err != nil {
					return err
				}
				if err := printDead(e.stdout, dead, *format); err != nil {
					return err
				}
				note := e.stdout
				if *format == "json" {
					note = e.stderr // the output stays one JSON document
				}
				return printUnserved(ctx, note, store, chatPlatforms(cfg), e.clockOf(store)().UTC())
			})
		case "drop":
			if *pending {
				return withStore(ctx, e, func(cfg config.Config, store *storage.Store) error {
					return dropPending(ctx, e.stdout, store, chatPlatforms(cfg), *platform, e.clockOf(store)().UTC()) // the time the replicas keep
				})
			}
			fallthrough
		case "retry":
			ids, err := parseIDs(args)
			if err != nil {
				return usageError("outbox %s: %v", sub, err)
			}
			if (len(ids) == 0) != *all {
				return usageError("outbox %s: give message ids or --all", sub)
			}
			return withStore(ctx, e, func(_ config.Config, store *storage.Store) error {
				return settleDead(ctx, e.stdout, store, sub, ids, e.clockOf(store)().UTC()) // the time the replicas keep
			})
		}
		return usageError("outbox: unknown subcommand %q", sub)
	}
}

// settleDead retries (queued again at now) or drops the dead messages ids
// (every one when ids is empty) and says how many; ids that are not dead
// messages are an error.
func settleDead(ctx context.Context, w io.Writer, store *storage.Store, sub string, ids []int64, now time.Time) error {
	var n int64
	var err error
	verb := "queued again"
	if sub == "retry" {
		n, err = store.RetryDeadOutbox(ctx, now, ids...)
	} else {
		verb = "dropped"
		n, err = store.DropDeadOutbox(ctx, ids...)
	}
	if err != nil {
		return err
	}
	noun := "messages"
	if n == 1 {
		noun = "message"
	}
	fmt.Fprintf(w, "%d dead %s %s\n", n, noun, verb)
	if len(ids) > 0 && n != int64(len(ids)) {
		return fmt.Errorf("outbox %s: %d of the %d ids are not dead messages", sub, int64(len(ids))-n, len(ids))
	}
	return nil
}

// chatPlatforms names the chat platforms cfg enables.
func chatPlatforms(cfg config.Config) []string {
	var names []string
	if cfg.Slack.Enabled() {
		names = append(names, slackbot.Name)
	}
	if cfg.Teams.Enabled() {
		names = append(names, teamsbot.Name)
	}
	return names
}

// printUnserved says, for each platform that enabled (the platforms this
// configuration enables) lacks, how many pending messages for it wait at
// now, due and held by no replica (Store.UnservedOutbox), and why.
func printUnserved(ctx context.Context, w io.Writer, store *storage.Store, enabled []string, now time.Time) error {
	waiting, err := store.UnservedOutbox(ctx, now, now, enabled)
	if err != nil {
		return err
	}
	for _, p := range slices.Sorted(maps.Keys(waiting)) {
		verb := "wait"
		if waiting[p] == 1 {
			verb = "waits"
		}
		if _, err := fmt.Fprintf(w, "%s %s for %s, which this configuration does not enable: sent once a replica is configured with %s; if %s was removed for good, handoff outbox drop --platform %s --pending deletes them\n",
			pendingMessages(waiting[p]), verb, p, p, p, p); err != nil {
			return err
		}
	}
	return nil
}

// dropPending deletes the pending messages for platform, which enabled
// (the platforms this configuration enables) must not name, and says how
// many it deleted and how many a replica held.
func dropPending(ctx context.Context, w io.Writer, store *storage.Store, enabled []string, platform string, now time.Time) error {
	if slices.Contains(enabled, platform) {
		return fmt.Errorf("outbox drop: %s is enabled in this configuration, so its pending messages are being sent: remove it from every replica's configuration first", platform)
	}
	n, held, err := store.DropPendingOutbox(ctx, platform, now)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%s for %s dropped\n", pendingMessages(n), platform)
	if held > 0 {
		return fmt.Errorf("outbox drop: %s for %s held by a replica, which sends them, left: is %s still enabled there?", pendingMessages(held), platform, platform)
	}
	return nil
}

// pendingMessages is "1 pending message", "2 pending messages".
func pendingMessages(n int64) string {
	if n == 1 {
		return "1 pending message"
	}
	return fmt.Sprintf("%d pending messages", n)
}

func parseIDs(args []string) ([]int64, error) {
	ids := make([]int64, 0, len(args))
	for _, a := range args {
		id, err := strconv.ParseInt(a, 10, 64)
		if err != nil || id <= 0 {
			return nil, fmt.Errorf("not a message id: %q", a)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// deadJSON is one dead message as `outbox list --format json` prints it.
type deadJSON struct {
	ID       int64      `json:"id"`
	Kind     string     `json:"kind"`
	LeadID   int64      `json:"lead_id,omitempty"`
	Platform string     `json:"platform,omitempty"`
	Attempts int        `json:"attempts"`
	Created  time.Time  `json:"created"`
	Requeued *time.Time `json:"requeued,omitempty"` // the last `outbox retry` of a message that died again
	// RefusedBy is the channel (or Teams team) that refused the message:
	// it is queued again by itself when the app is back there.
	RefusedBy string `json:"refused_by,omitempty"`
	LastError string `json:"last_error"`
}

func printDead(w io.Writer, dead []handoff.OutboxMessage, format string) error {
	for i := range dead {
		// A webhook's error stored by an earlier version names the
		// endpoint's URL whole, which may hold the receiver's secret.
		mask := redact.URL
		if dead[i].Kind == handoff.OutboxWebhook {
			mask = redact.Webhook
		}
		dead[i].LastError = redact.Text(dead[i].LastError, mask)
	}
	if format == "json" {
		out := make([]deadJSON, len(dead))
		for i, m := range dead {
			out[i] = deadJSON{ID: m.ID, Kind: m.Kind, LeadID: m.LeadID, Platform: m.Platform, Attempts: m.Attempts, Created: m.Created, RefusedBy: m.RefusedBy, LastError: m.LastError}
			if !m.Requeued.IsZero() {
				out[i].Requeued = &m.Requeued
			}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	if len(dead) == 0 {
		_, err := fmt.Fprintln(w, "no dead messages")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKIND\tLEAD\tPLATFORM\tATTEMPTS\tCREATED\tREQUEUED\tREFUSED BY\tLAST ERROR")
	for _, m := range dead {
		requeued := "–"
		if !m.Requeued.IsZero() {
			requeued = m.Requeued.Format(time.RFC3339)
		}
		platform := m.Platform
		if platform == "" {
			platform = "all" // a message for every platform enabled
		}
		refusedBy := "–"
		if m.RefusedBy != "" {
			refusedBy = oneLine(m.RefusedBy, 60)
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%d\t%s\t%s\t%s\t%s\n", m.ID, m.Kind, m.LeadID, platform, m.Attempts,
			m.Created.Format(time.RFC3339), requeued, refusedBy, oneLine(m.LastError, 200))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	refused := 0
	for _, m := range dead {
		if m.RefusedBy != "" {
			refused++
		}
	}
	if refused == 0 {
		return nil
	}
	_, err := fmt.Fprintf(w, "%d of %d refused by a channel (REFUSED BY): queued again by themselves once the app is back there (or by handoff chat test); retry queues them now\n", refused, len(dead))
	return err
}

// oneLine makes s safe to print in a table: control characters become
// spaces, and it is cut to at most n runes, keeping its end: a last error
// ends with the platform's answer and what to do about it (the outbox's
// context, which lead to which channel, comes first).
func oneLine(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	if r := []rune(s); len(r) > n {
		return "…" + string(r[len(r)-n+1:])
	}
	return s
}
