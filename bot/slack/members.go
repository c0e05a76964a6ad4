package slack

import (
	"context"
	"fmt"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/internal/cache"
)

// SalesMembers knows the members of the Slack sales channel
// (conversations.members, every page), cached for a minute: they may see
// leads' personal data.
type SalesMembers struct {
	channel string
	members *cache.Cache[map[string]bool]
}

var _ bot.SalesMembers = (*SalesMembers)(nil)

// NewSalesMembers returns the members of channel (SLACK_SALES_CHANNEL); an
// empty channel has none.
func NewSalesMembers(api *slackapi.Client, channel string) *SalesMembers {
	return &SalesMembers{channel: channel, members: cache.New(time.Minute, func(ctx context.Context, channel string) (map[string]bool, error) {
		set := map[string]bool{}
		params := &slackapi.GetUsersInConversationParameters{ChannelID: channel, Limit: 1000}
		for {
			users, next, err := api.GetUsersInConversationContext(ctx, params)
			if err != nil {
				return nil, fmt.Errorf("slack: members of %s: %w", channel, err)
			}
			for _, u := range users {
				set[u] = true
			}
			if next == "" {
				return set, nil
			}
			params.Cursor = next
		}
	})}
}

// IsSalesMember reports whether userID is in the sales channel. While
// Slack is slow it answers from the last list read.
func (m *SalesMembers) IsSalesMember(ctx context.Context, userID string) (bool, error) {
	if m.channel == "" {
		return false, nil
	}
	set, err := m.members.Get(ctx, m.channel)
	if err != nil {
		return false, err
	}
	return set[userID], nil
}
