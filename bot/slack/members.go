package slack

import (
	"context"
	"fmt"
	"maps"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/internal/cache"
)

// SalesMembers knows the members of the Slack sales channel
// (conversations.members, every page), cached for a minute and kept up to
// date between reads by the channel's member_joined_channel and
// member_left_channel events: they may see leads' personal data.
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

// Joined records that userID joined channel (member_joined_channel): when
// it is the sales channel they may see leads at once.
func (m *SalesMembers) Joined(channel, userID string) { m.change(channel, userID, true) }

// Left records that userID left or was removed from channel
// (member_left_channel): when it is the sales channel they lose sight of
// leads at once, not at the next read of the member list.
func (m *SalesMembers) Left(channel, userID string) { m.change(channel, userID, false) }

func (m *SalesMembers) change(channel, userID string, member bool) {
	if channel == "" || channel != m.channel || userID == "" {
		return
	}
	if member {
		m.members.Update(channel, withUsers([]string{userID}, nil))
	} else {
		m.members.Update(channel, withUsers(nil, []string{userID}))
	}
}

// withUsers returns a change of a cached set of user ids that adds added
// and drops removed, on a copy: readers may hold the old set.
func withUsers(added, removed []string) func(map[string]bool) map[string]bool {
	return func(old map[string]bool) map[string]bool {
		set := maps.Clone(old)
		if set == nil {
			set = map[string]bool{}
		}
		for _, u := range added {
			set[u] = true
		}
		for _, u := range removed {
			delete(set, u)
		}
		return set
	}
}
