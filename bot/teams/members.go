package teams

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/internal/cache"
)

// NotAMember is the private answer to a guest of the tenant: Handoff acts
// only for its full members, as in Slack.
const NotAMember = "Sorry, Handoff works only for full members of this Microsoft 365 organization: it did nothing."

// SalesMembers knows who belongs to the team of the Teams sales channel
// (the Bot Connector's conversation members API, asked per user and cached
// for 5 minutes, or until Teams says the user joined or left a team): they
// may see leads' personal data. Every member of a team can open its
// standard channels. A guest of the tenant in the team (the member record's
// userRole "guest") is not one of them: Handoff does nothing for guests.
type SalesMembers struct {
	platform *Platform
	channel  string
	members  *cache.Cache[membership]
}

// membership is what the Bot Connector said of a user in the sales
// channel's team.
type membership struct {
	member bool   // in the team
	role   string // the member record's userRole, when a member
}

// guest reports whether the user is in the team but not a full member of
// the tenant (Member.FullMember).
func (ms membership) guest() bool {
	return ms.member && !(Member{UserRole: ms.role}).FullMember()
}

var _ bot.SalesMembers = (*SalesMembers)(nil)

// NewSalesMembers returns the members of the team of channel
// (TEAMS_SALES_CHANNEL, a name or an id); an empty channel has none.
func NewSalesMembers(p *Platform, channel string) *SalesMembers {
	m := &SalesMembers{platform: p, channel: channel}
	m.members = cache.New(5*time.Minute, m.lookup)
	return m
}

// IsSalesMember reports whether userID is a full member of the tenant in
// the sales channel's team. A guest of the team gets an EFORBIDDEN error
// with NotAMember, which refuses them whatever else they are (a manager
// too: bot.Bot.ReadsLeads). Any other error means the channel is not known
// yet or the Bot Connector cannot be asked.
func (m *SalesMembers) IsSalesMember(ctx context.Context, userID string) (bool, error) {
	if m.channel == "" || userID == "" {
		return false, nil
	}
	ms, err := m.members.Get(ctx, userID)
	switch {
	case err != nil:
		return false, err
	case ms.guest():
		return false, fmt.Errorf("teams: %s is a %q of the sales channel's team, not a full member: %w",
			userID, ms.role, handoff.Errorf(handoff.EFORBIDDEN, "%s", NotAMember))
	}
	return ms.member, nil
}

// IsGuest reports whether userID is in the sales channel's team as a guest
// (any userRole but "user"), from the same kept answer as IsSalesMember.
// It is false for someone outside the team, and when the Bot Connector
// cannot be asked (the error says why).
func (m *SalesMembers) IsGuest(ctx context.Context, userID string) (bool, error) {
	if m.channel == "" || userID == "" {
		return false, nil
	}
	ms, err := m.members.Get(ctx, userID)
	return err == nil && ms.guest(), err
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

// lookup asks the Bot Connector whether userID is a member of the team,
// and as what (userRole); "not found" means not a member.
func (m *SalesMembers) lookup(ctx context.Context, userID string) (membership, error) {
	serviceURL, team, err := m.platform.teamOf(ctx, m.channel)
	if err != nil {
		return membership{}, err
	}
	member, err := m.platform.conn.ConversationMember(ctx, serviceURL, team, userID)
	var se *StatusError
	switch {
	case err == nil:
		return membership{member: true, role: member.UserRole}, nil
	case errors.As(err, &se) && se.Code == http.StatusNotFound:
		return membership{}, nil
	}
	return membership{}, fmt.Errorf("teams: is %s in team %s: %w", userID, team, err)
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
