package slack

import (
	"context"
	"fmt"
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

// KeyedPosts returns the ts of each message posted to channel since since
// with handoff_post metadata, by its key, from conversations.history (the
// optional scope channels:history, or groups:history for a private
// channel; without it the error is permanent). It reads at most
// historyPages pages of the newest messages.
func (p *Platform) KeyedPosts(ctx context.Context, channel string, since time.Time) (map[string]string, error) {
	keys := map[string]string{}
	params := &slackapi.GetConversationHistoryParameters{ChannelID: channel, Oldest: slackTS(since.Add(-historySkew)), Inclusive: true,
		Limit: historyPage, IncludeAllMetadata: true}
	for range historyPages {
		res, err := p.api.GetConversationHistoryContext(ctx, params)
		if err != nil {
			return nil, classify("conversations.history", err)
		}
		for _, m := range res.Messages {
			if key, ok := m.Metadata.EventPayload["key"].(string); ok && m.Metadata.EventType == postKeyEvent {
				keys[key] = m.Timestamp
			}
		}
		if !res.HasMore || res.ResponseMetaData.NextCursor == "" {
			break
		}
		params.Cursor = res.ResponseMetaData.NextCursor
	}
	return keys, nil
}

// slackTS writes t as a Slack timestamp (seconds.microseconds).
func slackTS(t time.Time) string {
	return fmt.Sprintf("%d.%06d", t.Unix(), t.Nanosecond()/int(time.Microsecond))
}
