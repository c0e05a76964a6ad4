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
// member_left_channel events, on the other replicas too once shared
// (Share): they may see leads' personal data.
type SalesMembers struct {
	channel string
	members *cache.Cache[map[string]bool]
	shared  *cache.Shared
}

var _ bot.SalesMembers = (*SalesMembers)(nil)

// NewSalesMembers returns the members of channel (SLACK_SALES_CHANNEL); an
// empty channel has none. timeout (SLACK_TIMEOUT, api's) bounds one read
// of the list, every page.
func NewSalesMembers(api *slackapi.Client, channel string, timeout time.Duration) *SalesMembers {
	m := &SalesMembers{channel: channel, members: cache.New(time.Minute, func(ctx context.Context, channel string) (map[string]bool, error) {
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
	m.members.FetchTimeout = timeout
	return m
}

// Share makes the channel's membership events that reach this replica
// reach the replicas sharing stamps too, and theirs this one: each drops
// its cached list within a second of another's event (cache.Shared).
// Call it before the first IsSalesMember.
func (m *SalesMembers) Share(stamps cache.Stamps) {
	m.shared = cache.NewShared(stamps, "slack:members:"+m.channel)
}

// IsSalesMember reports whether userID is in the sales channel. While
// Slack is slow it answers from the last list read. Shared, it reads
// the list again when another replica had a membership event since.
// Slack's failure to give the list (its error, or none within the
// cache's wait) is marked bot.Unanswered; the store's, sharing, is not.
func (m *SalesMembers) IsSalesMember(ctx context.Context, userID string) (bool, error) {
	if m.channel == "" {
		return false, nil
	}
	changed, err := m.shared.Changed(ctx)
	if err != nil {
		return false, fmt.Errorf("slack: is %s in the sales channel: %w", userID, err)
	}
	if changed {
		m.members.Clear()
	}
	set, err := m.members.Get(ctx, m.channel)
	if err != nil {
		return false, bot.Unanswered(err) // the cache asks Slack alone
	}
	return set[userID], nil
}

// Joined records that userID joined channel (member_joined_channel): when
// it is the sales channel they may see leads at once.
func (m *SalesMembers) Joined(ctx context.Context, channel, userID string) error {
	return m.change(ctx, channel, userID, true)
}

// Left records that userID left or was removed from channel
// (member_left_channel): when it is the sales channel they lose sight of
// leads at once, not at the next read of the member list, on every
// replica sharing the change (Share). It returns an error when the change
// could not be shared: the event is to be handled again.
func (m *SalesMembers) Left(ctx context.Context, channel, userID string) error {
	return m.change(ctx, channel, userID, false)
}

func (m *SalesMembers) change(ctx context.Context, channel, userID string, member bool) error {
	if channel == "" || channel != m.channel || userID == "" {
		return nil
	}
	if member {
		m.members.Update(channel, withUsers([]string{userID}, nil))
	} else {
		m.members.Update(channel, withUsers(nil, []string{userID}))
	}
	if err := m.shared.Announce(ctx); err != nil {
		return fmt.Errorf("slack: %s in %s: %w", userID, channel, err)
	}
	return nil
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
