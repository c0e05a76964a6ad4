package teams

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/internal/cache"
)

// SalesMembers knows who belongs to the team of the Teams sales channel
// (the Bot Connector's conversation members API, asked per user and cached
// for 5 minutes, or until Teams says the user joined or left a team): they
// may see leads' personal data. Every member of a team can open its
// standard channels.
type SalesMembers struct {
	platform *Platform
	channel  string
	members  *cache.Cache[bool]
}

var _ bot.SalesMembers = (*SalesMembers)(nil)

// NewSalesMembers returns the members of the team of channel
// (TEAMS_SALES_CHANNEL, a name or an id); an empty channel has none.
func NewSalesMembers(p *Platform, channel string) *SalesMembers {
	m := &SalesMembers{platform: p, channel: channel}
	m.members = cache.New(5*time.Minute, m.lookup)
	return m
}

// IsSalesMember reports whether userID is a member of the sales channel's
// team. It returns an error when the channel is not known yet or the Bot
// Connector cannot be asked.
func (m *SalesMembers) IsSalesMember(ctx context.Context, userID string) (bool, error) {
	if m.channel == "" || userID == "" {
		return false, nil
	}
	return m.members.Get(ctx, userID)
}

// Changed forgets whether userID is a member, when Teams says they were
// added to or removed from team, the sales channel's team or one the
// stored channels cannot tell apart from it (the sales channel not
// installed yet, or configured by an id not stored). Their next request
// asks the Bot Connector, so someone removed loses sight of leads at
// once, not 5 minutes later.
func (m *SalesMembers) Changed(ctx context.Context, team, userID string) {
	if ref, err := m.platform.store.TeamsConversation(ctx, m.channel); err == nil && ref.TeamID != "" && ref.TeamID != team {
		return // another team's member: their answer stands
	}
	m.members.Forget(userID)
}

// lookup asks the Bot Connector whether userID is a member of the team;
// "not found" means no.
func (m *SalesMembers) lookup(ctx context.Context, userID string) (bool, error) {
	serviceURL, team, err := m.platform.teamOf(ctx, m.channel)
	if err != nil {
		return false, err
	}
	_, err = m.platform.conn.ConversationMember(ctx, serviceURL, team, userID)
	var se *StatusError
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &se) && se.Code == http.StatusNotFound:
		return false, nil
	}
	return false, fmt.Errorf("teams: is %s in team %s: %w", userID, team, err)
}

// teamOf returns the service URL and the team id (its General channel's
// conversation) of channel, a channel name or id.
func (p *Platform) teamOf(ctx context.Context, channel string) (serviceURL, team string, err error) {
	ref, _, err := p.lookup(ctx, channel)
	if err != nil {
		return "", "", err
	}
	if ref.TeamID != "" {
		return ref.ServiceURL, ref.TeamID, nil
	}
	return ref.ServiceURL, ref.ConversationID, nil
}
