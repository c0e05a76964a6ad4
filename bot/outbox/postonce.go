package outbox

import (
	"context"
	"fmt"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
)

// cannotFindWarnEvery is the least time between two warnings that a
// platform cannot look for the posts of earlier attempts.
const cannotFindWarnEvery = time.Hour

// opFind names the calls that look for earlier posts (postOnce), for
// metrics; they say nothing of the platform's health (noteCall).
const opFind = "find"

// keyedPosts is a channel's keyed posts since since, as read in the
// current round (Dispatcher.seen), by key; or why the platform cannot
// read them (a permanent error, not asked again in the round).
type keyedPosts struct {
	since time.Time
	keys  map[string]bot.KeyedPost
	err   error
}

// postOnce posts msg to channel on platform p for outbox message m and
// returns the post's id, and foundAt zero. When an earlier attempt at m
// may have reached the platform (m was taken before, in this run or before
// it was requeued: a process stopped between the post and its record, or
// the platform's answer was lost) and p can find its posts
// (bot.PostFinder), it first looks for that attempt's post and returns its
// id with foundAt the time it was posted (the time of the look if the
// platform does not say) rather than post a second time. A platform that
// cannot look (a scope not granted) is posted to all the same, with a
// warning that the post may repeat; a look that failed otherwise is
// retried later.
func (d *Dispatcher) postOnce(ctx context.Context, m handoff.OutboxMessage, p bot.Platform, channel string, msg bot.Message) (id string, foundAt time.Time, err error) {
	return d.sendOnce(ctx, m, p, "post", channel, msg)
}

// sendOnce is postOnce with op naming the call ("post", "direct") for its
// metrics and its hold after a rate limit.
func (d *Dispatcher) sendOnce(ctx context.Context, m handoff.OutboxMessage, p bot.Platform, op, channel string, msg bot.Message) (id string, foundAt time.Time, err error) {
	finder, ok := p.(bot.PostFinder)
	if !ok {
		err = d.call(ctx, p.Name(), op, func(ctx context.Context) (err error) {
			id, err = p.Post(ctx, channel, msg)
			return err
		})
		return id, time.Time{}, err
	}
	key := postKey(m)
	if m.Retried() {
		found, err := d.findPost(ctx, m, finder, p.Name(), channel, key)
		switch {
		case err == nil && found.ID != "":
			d.logger.InfoContext(ctx, "outbox: an earlier attempt had posted this message; recording that post, not posting again",
				"platform", p.Name(), "channel", channel, "message_id", found.ID, "posted", found.At, "outbox_id", m.ID, "kind", m.Kind)
			if found.At.IsZero() {
				found.At = d.cfg.Now().UTC()
			}
			return found.ID, found.At, nil
		case bot.IsPermanent(err):
			d.warnCannotFind(ctx, p.Name(), err)
		case err != nil:
			return "", time.Time{}, fmt.Errorf("look for the post of an earlier attempt: %w", err)
		}
	}
	err = d.call(ctx, p.Name(), op, func(ctx context.Context) (err error) {
		id, err = finder.PostKeyed(ctx, channel, key, msg)
		return err
	})
	return id, time.Time{}, err
}

// directOnce sends msg to userID's one-to-one conversation for outbox
// message m and returns where it is and its id. On a platform that can
// open that conversation as a channel and find its posts there
// (bot.DirectOpener and bot.PostFinder) it is sent as postOnce posts: an
// earlier attempt's message is found, not sent twice (a claim's contact
// details sent twice would leave a copy that erasing the lead cannot
// reach); elsewhere with DirectMessage.
func (d *Dispatcher) directOnce(ctx context.Context, m handoff.OutboxMessage, p bot.Platform, userID string, msg bot.Message) (channel, id string, err error) {
	opener, ok := p.(bot.DirectOpener)
	if _, finds := p.(bot.PostFinder); !ok || !finds {
		err = d.call(ctx, p.Name(), "direct", func(ctx context.Context) (err error) {
			channel, id, err = p.DirectMessage(ctx, userID, msg)
			return err
		})
		return channel, id, err
	}
	err = d.call(ctx, p.Name(), "direct", func(ctx context.Context) (err error) {
		channel, err = opener.DirectChannel(ctx, userID)
		return err
	})
	if err != nil {
		return "", "", err
	}
	id, _, err = d.sendOnce(ctx, m, p, "direct", channel, msg)
	return channel, id, err
}

// postKey is what the posts of outbox message m are tagged with.
func postKey(m handoff.OutboxMessage) string { return fmt.Sprintf("outbox-%d", m.ID) }

// findPost returns the post tagged with key in channel since m was queued,
// or a zero KeyedPost. One reading of a channel serves the round: every
// message of the round was taken after its earlier attempts ended, so a
// post they made is in a reading made since.
func (d *Dispatcher) findPost(ctx context.Context, m handoff.OutboxMessage, finder bot.PostFinder, platform, channel, key string) (bot.KeyedPost, error) {
	at := platform + "/" + channel
	d.mu.Lock()
	seen, ok := d.seen[at]
	d.mu.Unlock()
	if !ok || seen.since.After(m.Created) {
		var keys map[string]bot.KeyedPost
		err := d.call(ctx, platform, opFind, func(ctx context.Context) (err error) {
			keys, err = finder.KeyedPosts(ctx, channel, m.Created)
			return err
		})
		if err != nil && !bot.IsPermanent(err) {
			return bot.KeyedPost{}, err
		}
		seen = keyedPosts{since: m.Created, keys: keys, err: err}
		d.mu.Lock()
		d.seen[at] = seen
		d.mu.Unlock()
	}
	return seen.keys[key], seen.err
}

// forgetSeen drops the readings of the last round: a message taken in the
// next round may have been posted since.
func (d *Dispatcher) forgetSeen() {
	d.mu.Lock()
	clear(d.seen)
	d.mu.Unlock()
}

// warnCannotFind logs, at most once every cannotFindWarnEvery per
// platform, that platform cannot look for earlier posts, so that a message
// retried after its post's answer was lost may be posted twice.
func (d *Dispatcher) warnCannotFind(ctx context.Context, platform string, err error) {
	now := time.Now()
	d.mu.Lock()
	due := now.Sub(d.findWarned[platform]) >= cannotFindWarnEvery
	if due {
		d.findWarned[platform] = now
	}
	d.mu.Unlock()
	if !due {
		return
	}
	d.logger.WarnContext(ctx, "outbox: cannot look for the post of an earlier attempt, so a message whose answer was lost may be posted twice (on Slack, grant the optional scopes channels:history and groups:history)",
		"platform", platform, "err", err)
}
