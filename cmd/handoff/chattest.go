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
	"github.com/handoff/handoff/config"
	"github.com/handoff/handoff/storage"
)

// chatFlags is "handoff chat test": it posts a short message to the sales
// and managers' channels of every chat platform configured, as the outbox
// would post a card, and prints what each platform answered, so that an
// admin learns before the first lead that the app is in its channels. It
// fails when the sales channel of a platform is not set or any channel
// refused the message.
func chatFlags(_ *flag.FlagSet, _ env) runFunc {
	return func(ctx context.Context, e env) error {
		if len(e.args) != 1 || e.args[0] != "test" {
			return usageError("want: handoff chat test")
		}
		cfg, err := loadConfig(e)
		if err != nil {
			return err
		}
		if !cfg.Teams.Enabled() { // Slack needs no database: none is opened, or created
			return runChatTest(ctx, cfg, nil, e.stdout, time.Now())
		}
		return withStore(ctx, e, func(cfg config.Config, store *storage.Store) error {
			return runChatTest(ctx, cfg, store, e.stdout, time.Now())
		})
	}
}

// runChatTest posts bot.ChannelCheck to each channel of the platforms cfg
// enables, wired as serve wires them, and writes one line per channel to w.
// store resolves Teams channels; Slack needs none.
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
	total, failed := 0, 0
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
			fmt.Fprintf(w, "%s %s %s: posted\n", name, ch.what, ch.id)
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d channels cannot take Handoff's messages yet", failed, total)
	}
	return nil
}

// envName is the environment variable of a platform's setting:
// SLACK_SALES_CHANNEL, TEAMS_MANAGER_CHANNEL.
func envName(platform, setting string) string { return strings.ToUpper(platform) + "_" + setting }
