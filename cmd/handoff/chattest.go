package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/bot/outbox"
	"github.com/handoff/handoff/config"
	"github.com/handoff/handoff/storage"
)

// chatFlags is "handoff chat test": it posts a short message to the sales
// and managers' channels of every chat platform configured, as the outbox
// would post a card, and prints what each platform answered, so that an
// admin learns before the first lead that the app is in its channels. A
// channel that takes the message gets again what it refused before (the
// app removed from it, the channel archived), as when the platform says
// the app is back. It fails when the sales channel of a platform is not
// set or any channel refused the message.
func chatFlags(_ *flag.FlagSet, _ env) runFunc {
	return func(ctx context.Context, e env) error {
		if len(e.args) != 1 || e.args[0] != "test" {
			return usageError("want: handoff chat test")
		}
		cfg, err := loadConfig(e)
		if err != nil {
			return err
		}
		if cfg.Teams.Enabled() { // Teams channels are resolved from the store
			return withStore(ctx, e, func(cfg config.Config, store *storage.Store) error {
				return runChatTest(ctx, cfg, store, e.stdout, e.clockOf(store)())
			})
		}
		store := slackChatStore(ctx, cfg, e)
		if store != nil {
			defer store.Close()
		}
		return runChatTest(ctx, cfg, store, e.stdout, e.clockOf(store)())
	}
}

// slackChatStore opens the database for a test of Slack alone, which needs
// none to post: one that exists is opened to queue again what a channel
// refused, none is created, and one that cannot be opened is said in a
// line to e.stdout and tests the channels all the same. Nil without a
// store.
func slackChatStore(ctx context.Context, cfg config.Config, e env) *storage.Store {
	exists, err := storage.Exists(cfg.DatabaseURL)
	if err == nil && !exists {
		return nil // nothing was ever refused
	}
	var store *storage.Store
	if err == nil {
		store, err = openStore(ctx, cfg, storage.Options{Clock: e.wall})
	}
	if err != nil {
		fmt.Fprintf(e.stdout, "database not opened (%v): what the channels refused before waits for handoff serve or handoff outbox retry\n", err)
		return nil
	}
	return store
}

// runChatTest posts bot.ChannelCheck to each channel of the platforms cfg
// enables, wired as serve wires them, and writes one line per channel to w.
// store resolves Teams channels and holds what the channels refused; Slack
// posts without one. now is the time the replicas keep (env.clockOf): what
// it queues again is due at once for them.
func runChatTest(ctx context.Context, cfg config.Config, store *storage.Store, w io.Writer, now time.Time) error {
	a := &app{cfg: cfg, store: store, logger: slog.New(slog.DiscardHandler), now: func() time.Time { return now }}
	c := newChat()
	a.slackPlatform(c)
	if err := a.teamsPlatform(c); err != nil {
		return err
	}
	if len(c.targets) == 0 {
		return errors.New("no chat platform is configured: set SLACK_BOT_TOKEN (Slack) or TEAMS_APP_ID (Teams)")
	}
	total, failed, requeued := 0, 0, int64(0)
	for _, t := range c.targets {
		name := t.Platform.Name()
		for _, ch := range []struct {
			what, id, env string
			sales         bool
		}{
			{"sales channel", t.SalesChannel, envName(name, "SALES_CHANNEL"), true},
			{"managers' channel", t.ManagerChannel, envName(name, "MANAGER_CHANNEL"), false},
		} {
			if ch.id == "" && !ch.sales { // optional
				fmt.Fprintf(w, "%s %s: not set (%s): breaches and the digest are not posted\n", name, ch.what, ch.env)
				continue
			}
			total++
			if ch.id == "" {
				failed++
				fmt.Fprintf(w, "%s %s: not set (%s): new SQLs cannot be posted\n", name, ch.what, ch.env)
				continue
			}
			if _, err := t.Platform.Post(ctx, ch.id, bot.ChannelCheck(ch.sales, now, cfg.Policy)); err != nil {
				failed++
				fmt.Fprintf(w, "%s %s %s: %v\n", name, ch.what, ch.id, err)
				continue
			}
			n, err := queueRefusedAgain(ctx, store, t.Platform, ch.id, now)
			requeued += n
			fmt.Fprintf(w, "%s %s %s: posted%s\n", name, ch.what, ch.id, requeuedSaying(n, err))
		}
	}
	if requeued > 0 {
		fmt.Fprintf(w, "handoff serve posts what was queued again within %v (handoff outbox list shows what waits)\n", outbox.DefaultIdle)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d channels cannot take Handoff's messages yet", failed, total)
	}
	return nil
}

// queueRefusedAgain queues again the dead messages that channel refused
// (its places: the channel, and what its platform names it, a Teams
// channel's team; bot.PlacesOf), now that a message went through there, and
// returns how many. Without a store there is nothing to queue.
func queueRefusedAgain(ctx context.Context, store *storage.Store, p bot.Platform, channel string, now time.Time) (int64, error) {
	if store == nil {
		return 0, nil
	}
	places, err := bot.PlacesOf(ctx, p, channel)
	if err != nil {
		return 0, err
	}
	var total int64
	for _, place := range places {
		n, err := store.RetryRefusedOutbox(ctx, place, now.UTC(), p.Name())
		if err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}

// requeuedSaying ends a channel's "posted" line with what
// queueRefusedAgain did, if anything.
func requeuedSaying(n int64, err error) string {
	switch {
	case err != nil:
		return fmt.Sprintf("; what it refused before was not queued again (%v): handoff outbox retry does it", err)
	case n == 1:
		return "; 1 message it refused before is queued again"
	case n > 1:
		return fmt.Sprintf("; %d messages it refused before are queued again", n)
	}
	return ""
}

// envName is the environment variable of a platform's setting:
// SLACK_SALES_CHANNEL, TEAMS_MANAGER_CHANNEL.
func envName(platform, setting string) string { return strings.ToUpper(platform) + "_" + setting }
