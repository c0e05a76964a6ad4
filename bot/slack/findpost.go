package slack

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/handoff/handoff/bot"
)

// postKeyEvent is the event type of the message metadata a keyed post
// carries; its payload's "key" is the key.
const postKeyEvent = "handoff_post"

const (
	// historyPage is how many messages one conversations.history call
	// asks for, and historyPages how many calls one reading makes at most.
	historyPage  = 200
	historyPages = 5
	// historySkew is how much earlier than asked a reading begins, for a
	// clock that differs from Slack's.
	historySkew = time.Minute
)

// PostKeyed posts msg as Post does, with message metadata of event type
// handoff_post whose payload holds key (no scope beyond chat:write).
func (p *Platform) PostKeyed(ctx context.Context, channel, key string, msg bot.Message) (string, error) {
	meta := slackapi.SlackMetadata{EventType: postKeyEvent, EventPayload: map[string]any{"key": key}}
	return p.post(ctx, channel, msg, slackapi.MsgOptionMetadata(meta))
}

// KeyedPosts returns each message posted to channel since since with
// handoff_post metadata (its ts, and the time the ts holds), by its key,
// from conversations.history (the optional scope channels:history, or
// groups:history for a private channel; without it the error is
// permanent). It reads at most historyPages pages of the newest messages.
func (p *Platform) KeyedPosts(ctx context.Context, channel string, since time.Time) (map[string]bot.KeyedPost, error) {
	keys := map[string]bot.KeyedPost{}
	params := &slackapi.GetConversationHistoryParameters{ChannelID: channel, Oldest: slackTS(since.Add(-historySkew)), Inclusive: true,
		Limit: historyPage, IncludeAllMetadata: true}
	for range historyPages {
		res, err := p.api.GetConversationHistoryContext(ctx, params)
		if err != nil {
			return nil, classify("conversations.history", err)
		}
		for _, m := range res.Messages {
			if key, ok := m.Metadata.EventPayload["key"].(string); ok && m.Metadata.EventType == postKeyEvent {
				keys[key] = bot.KeyedPost{ID: m.Timestamp, At: tsTime(m.Timestamp)}
			}
		}
		if !res.HasMore || res.ResponseMetaData.NextCursor == "" {
			break
		}
		params.Cursor = res.ResponseMetaData.NextCursor
	}
	return keys, nil
}

// tsTime reads the time a Slack timestamp holds (seconds.microseconds),
// or the zero time if ts is not one.
func tsTime(ts string) time.Time {
	sec, micro, ok := strings.Cut(ts, ".")
	s, err := strconv.ParseInt(sec, 10, 64)
	if err != nil || s <= 0 {
		return time.Time{}
	}
	var us int64
	if ok {
		if us, err = strconv.ParseInt(micro, 10, 64); err != nil || len(micro) != 6 || us < 0 {
			return time.Time{}
		}
	}
	return time.Unix(s, us*int64(time.Microsecond)).UTC()
}

// slackTS writes t as a Slack timestamp (seconds.microseconds).
func slackTS(t time.Time) string {
	return fmt.Sprintf("%d.%06d", t.Unix(), t.Nanosecond()/int(time.Microsecond))
}
