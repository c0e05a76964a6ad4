// The demo's chat-delivery scenes: a post whose answer Slack loses, and a
// card Slack refuses while the bot is out of the channel, queued again when
// the admin invites the bot back.

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	slackbot "github.com/handoff/handoff/bot/slack"
	"github.com/handoff/handoff/bot/slack/slacktest"
	teamsbot "github.com/handoff/handoff/bot/teams"
	"github.com/handoff/handoff/storage"
)

// cardGivenUp says why lead id's card is not in the sales channel: the
// outbox gave it up (dead) on Slack's refusal. Any other reason is an error.
func (d *demo) cardGivenUp(ctx context.Context, id int64) ([]string, error) {
	dead, err := d.app.store.DeadOutbox(ctx, 0)
	if err != nil {
		return nil, err
	}
	st, err := d.app.store.OutboxStats(ctx)
	if err != nil {
		return nil, err
	}
	for _, m := range dead {
		if m.LeadID == id && m.Kind == handoff.OutboxAnnounceLead {
			return []string{"→ Slack refused the card: " + slackAnswer(m.LastError),
				"→ retrying alone cannot mend that: the outbox gave it up at once",
				fmt.Sprintf("→ handoff_outbox_dead is now %d: the alert HandoffMessagesGivenUp (deploy/prometheus/alerts.yml) fires on it", st.Dead)}, nil
		}
	}
	return nil, errors.New("no card given up either")
}

// managersNote is the text of the managers' note on company's card once a
// retry posted it, and whether there is one.
func (d *demo) managersNote(company string) (string, bool) {
	for _, m := range d.slack.Messages(demoManagers) {
		if text := d.plain(m.Text); m.Updates > 0 && strings.Contains(text, "In the sales channel now: "+company) {
			return text, true
		}
	}
	return "", false
}

// slackMethod is how a Slack call's error starts ("slack chat.postMessage: ").
var slackMethod = regexp.MustCompile(`slack [a-z]+\.[A-Za-z]+: `)

// slackAnswer is Slack's answer in an outbox error: its error code and what
// to do about it, after the outbox's context and the method's name.
func slackAnswer(msg string) string {
	if loc := slackMethod.FindStringIndex(msg); loc != nil {
		return msg[loc[1]:]
	}
	return msg
}

// botRemoved sends what Slack sends when the bot leaves the sales channel
// (member_left_channel, signed) and narrates the server's warning.
func (d *demo) botRemoved(ctx context.Context) error {
	body := slacktest.ChannelEvent(fmt.Sprintf("EvDemoLeft%d", d.clock.Now().Unix()), "member_left_channel", slacktest.BotUserID, demoSales)
	if _, err := d.send(ctx, "/slack/events", body); err != nil {
		return err
	}
	for _, line := range d.logs.lines() {
		if m := logMessage.FindStringSubmatch(line); m != nil && strings.Contains(line, "level=WARN") && strings.Contains(m[1], "removed from the sales channel") {
			d.printf("%18s→ Slack tells Handoff at once, and its log warns: %s\n", "", strings.TrimPrefix(m[1], "slack: "))
			return nil
		}
	}
	return errors.New("no warning in the log for the bot removed from the sales channel")
}

// logMessage is the message of a log line of slog's text handler.
var logMessage = regexp.MustCompile(`msg="((?:[^"\\]|\\.)*)"`)

// inviteBot brings the bot back into the sales channel: the admin lists
// the dead messages with the commands' own code, then invites the bot, and
// Slack tells Handoff (member_joined_channel, signed), which queues the
// cards the channel refused again by itself. It narrates the log's line
// and waits for the cards to reach the channel.
func (d *demo) inviteBot(ctx context.Context, reason string) error {
	d.printf("%s  🔧 %s\n", d.when(d.clock.Now()), reason)
	list, err := d.outboxList(ctx)
	if err != nil {
		return err
	}
	d.shell("handoff outbox list", list)
	d.slack.InviteBot(demoSales)
	seen := len(d.logs.lines())
	body := slacktest.ChannelEvent(fmt.Sprintf("EvDemoJoined%d", d.clock.Now().Unix()), "member_joined_channel", slacktest.BotUserID, demoSales)
	if _, err := d.send(ctx, "/slack/events", body); err != nil {
		return err
	}
	if err := d.requeuedLine(seen); err != nil {
		return err
	}
	if err := d.settle(ctx); err != nil {
		return err
	}
	for _, st := range d.refused {
		posts, err := d.app.store.ChatPosts(ctx, st.id)
		if err != nil {
			return err
		}
		for _, p := range posts {
			if p.Platform == slackbot.Name {
				st.ts = p.MessageID
			}
		}
		if st.ts == "" {
			return fmt.Errorf("invite-bot: the card of %s was not posted once the bot was back", st.key)
		}
		arrived := d.at(st.day, st.at)
		d.printf("%18s→ the card of %s reaches %s, %s after the lead arrived\n", "", st.company, demoChannelNames[demoSales],
			bot.FormatDuration(d.clock.Now().Sub(arrived)))
		note, ok := d.managersNote(st.company)
		if !ok {
			return fmt.Errorf("invite-bot: the managers' note on %s did not say the card is posted", st.key)
		}
		d.printf("%18s→ the managers' note is updated: %s\n", "", note)
	}
	d.retried += len(d.refused)
	d.refused = nil
	return nil
}

// requeuedLine narrates the log's line, after its first seen lines, that
// says the cards the sales channel refused are queued again.
func (d *demo) requeuedLine(seen int) error {
	lines := d.logs.lines()
	for _, line := range lines[min(seen, len(lines)):] {
		if m := logMessage.FindStringSubmatch(line); m != nil && strings.Contains(m[1], "queued again") {
			n := ""
			if c := logMessages.FindStringSubmatch(line); c != nil {
				n = " (messages=" + c[1] + ")"
			}
			d.printf("%18s→ Slack tells Handoff (member_joined_channel), and its log says: %s%s\n", "", strings.TrimPrefix(m[1], "outbox: "), n)
			return nil
		}
	}
	return errors.New("invite-bot: no line in the log for the refused card queued again")
}

// logMessages is the count of messages in a log line of slog's text handler.
var logMessages = regexp.MustCompile(` messages=(\d+)`)

// retryLostAnswer follows the outbox's retries of the card of lead id,
// whose first post reached the sales channel while Slack's answer was
// lost (lose-answer): it moves the clock to each retry, then says what the
// retries did, from the calls the stand-in Slack received.
func (d *demo) retryLostAnswer(ctx context.Context, id int64) ([]string, error) {
	from, lostAt := d.lostFrom, d.clock.Now()
	d.lostFrom = -1
	deadline := time.Now().Add(d.waits.settle)
	for {
		msgs, err := d.app.store.OutboxMessages(ctx, id)
		if err != nil {
			return nil, err
		}
		var next time.Time
		for _, m := range msgs {
			if m.Status == storage.OutboxPending && (next.IsZero() || m.Due.Before(next)) {
				next = m.Due
			}
		}
		if next.IsZero() {
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("the card of lead %d still unsent after %s", id, d.waits.settle)
		}
		if next.After(d.clock.Now()) {
			d.clock.Set(next)
		}
		d.app.wakeOutbox()
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	posts, looks := 0, 0
	for _, c := range d.slack.Calls("")[from:] {
		switch {
		case c.Method == "chat.postMessage" && c.Param("channel") == demoSales:
			posts++
		case c.Method == "conversations.history" && c.Param("channel") == demoSales:
			looks++
		}
	}
	if looks == 0 {
		return nil, fmt.Errorf("lose-answer: the lost answer was not that of lead %d's card (no look in the channel followed)", id)
	}
	outcome := "found the card by its key and did not post it again"
	if posts != 1 {
		outcome = fmt.Sprintf("the channel got the card %d times", posts)
	} else {
		d.lostFound++
	}
	return []string{
		"→ Slack posted the card, but its answer was lost on the way back (HTTP 504)",
		fmt.Sprintf("→ %.1f s later the outbox tried again, looking in %s first (conversations.history): it %s",
			d.clock.Now().Sub(lostAt).Seconds(), demoChannelNames[demoSales], outcome),
	}, nil
}

// chatTestScene is the admin's first check, before any lead: handoff chat
// test posts its message to the sales and managers' channels with the
// command's own code, and the demo shows what it printed.
func (d *demo) chatTestScene(ctx context.Context) error {
	d.printf("%s  🔧 The app installed, the admin checks that Handoff can post to both channels\n", d.when(d.clock.Now()))
	var out bytes.Buffer
	err := runChatTest(ctx, d.app.cfg, d.app.store, &out, d.clock.Now())
	d.shell("handoff chat test", out.String())
	if err != nil {
		return fmt.Errorf("handoff chat test: %w", err)
	}
	d.printf("%18s→ each channel shows \"👋 Handoff can post here\", saying what will appear in it\n\n", "")
	d.reported = len(d.slack.Calls("")) // told here, not again by narrate
	return nil
}

// removedPlatformScene is the admin's clean-up after a platform removed for
// good: a trial with Teams on a second replica left messages queued for
// Teams, which no replica sends now (the demo queues them as that replica
// did); handoff outbox list counts them and names the command, and handoff
// outbox drop --platform teams --pending deletes them, with the commands'
// own code.
func (d *demo) removedPlatformScene(ctx context.Context) error {
	now := d.clock.Now()
	d.printf("%s  🧹 The admin had tried Teams on a second replica before settling on Slack alone: that replica is gone, and what it queued for Teams waits\n", d.when(now))
	left := []handoff.OutboxMessage{{Kind: handoff.OutboxDirect, Platform: teamsbot.Name}, {Kind: handoff.OutboxDirect, Platform: teamsbot.Name}}
	if err := d.app.store.Enqueue(ctx, now.Add(-time.Hour), left...); err != nil {
		return err
	}
	enabled := chatPlatforms(d.app.cfg)
	list, err := d.outboxList(ctx)
	if err != nil {
		return err
	}
	d.shell("handoff outbox list", list)
	var out bytes.Buffer
	err = dropPending(ctx, &out, d.app.store, enabled, teamsbot.Name, now)
	d.shell("handoff outbox drop --platform teams --pending", out.String())
	if err != nil {
		return fmt.Errorf("handoff outbox drop --platform teams --pending: %w", err)
	}
	waiting, err := d.app.store.UnservedOutbox(ctx, now, now, enabled)
	if err != nil {
		return err
	}
	if len(waiting) > 0 {
		return fmt.Errorf("after the drop, pending messages still wait for %v", waiting)
	}
	d.printf("%18s→ nothing waits for Teams any more; the cards of the week are Slack's alone\n\n", "")
	return nil
}

// outboxList is what handoff outbox list prints now, with the command's
// own code: the dead messages, and those waiting for a platform the
// configuration does not enable.
func (d *demo) outboxList(ctx context.Context) (string, error) {
	dead, err := d.app.store.DeadOutbox(ctx, 0)
	if err != nil {
		return "", err
	}
	var out strings.Builder
	if err := printDead(&out, dead, "table"); err != nil {
		return "", err
	}
	if err := printUnserved(ctx, &out, d.app.store, chatPlatforms(d.app.cfg), d.clock.Now()); err != nil {
		return "", err
	}
	return out.String(), nil
}

// shell prints a command the admin runs and what it printed.
func (d *demo) shell(command, output string) {
	d.printf("%18s$ %s\n", "", command)
	for _, line := range strings.Split(strings.TrimRight(output, "\n"), "\n") {
		d.printf("%18s%s\n", "", line)
	}
}
