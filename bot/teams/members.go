package teams

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
	"github.com/handoff/handoff/internal/cache"
)

// NotAMember is the private answer to a guest of the tenant: Handoff acts
// only for its full members, as in Slack.
const NotAMember = "Sorry, Handoff works only for full members of this Microsoft 365 organization: it did nothing."

// NotKnownMember is the private answer to a command when the Bot Connector
// cannot say whether its sender is a full member of the tenant.
const NotKnownMember = "Sorry, Handoff could not check just now that you are a full member of this Microsoft 365 organization, " +
	"and answers only full members: please try again in a minute."

// RoleUnknown is the answer to a card action when the Bot Connector could
// not say whether its sender may see leads (their membership of the sales
// channel's team, their role in the tenant): what failed, and what to do.
const RoleUnknown = "Sorry, Handoff could not read your role in the sales channel's team just now (Microsoft Teams did not answer), so it did nothing. " +
	"Please try again in a minute; if it keeps failing, ask your Teams admin to check that Handoff is still installed in that team."

// GuestCannotOwn is the reassign form's answer to a manager who picked a
// guest of the tenant.
const GuestCannotOwn = "Only full members of this Microsoft 365 organization can own leads: this person is a guest."

// SalesMembers knows who belongs to the team of the Teams sales channel
// (the Bot Connector's conversation members API, asked per user and cached
// for 5 minutes, or until Teams says the user joined or left a team): they
// may see leads' personal data. Every member of a team can open its
// standard channels. A guest of the tenant (the member record's userRole
// "guest", or any role but "user") is not one of them, in the team or
// outside it (their role asked where they wrote to the bot: roles):
// Handoff does nothing for guests. Shared (Share), a change of a user
// Teams told one replica of, or one a replica's refresh of its 5-minute-old
// answer found (Teams sends no event when a member is made a guest), makes
// every replica ask again about that user.
type SalesMembers struct {
	platform *Platform
	channel  string
	members  *cache.Cache[membership]
	roles    *roles
	shared   *cache.Shared

	mu       sync.Mutex
	unshared map[string]bool // users whose change a refresh found and could not announce yet
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
	return userRole{known: ms.member, role: ms.role}.guest()
}

var _ bot.SalesMembers = (*SalesMembers)(nil)

// NewSalesMembers returns the members of the team of channel
// (TEAMS_SALES_CHANNEL, a name or an id); an empty channel has none.
func NewSalesMembers(p *Platform, channel string) *SalesMembers {
	m := &SalesMembers{platform: p, channel: channel, unshared: map[string]bool{}}
	m.roles = newRoles(p, m.refreshed)
	m.members = newWatched(p, 5*time.Minute, m.lookup, m.refreshed)
	return m
}

// Saw records the conversation act came from, where its sender's role in
// the tenant is asked when they are not in the sales channel's team.
func (m *SalesMembers) Saw(act *Activity) {
	if act.From.Role != "bot" && act.From.ID != act.Recipient.ID {
		m.roles.saw(act.From.ID, activityPlace(act))
	}
}

// Share makes the team's membership events that reach this replica, and
// the changes its refreshes find (refreshed), reach the replicas sharing
// stamps too, and theirs this one: each drops what it kept of the users
// an event or a refresh named (their membership and their role) within a
// second of another's announcement, and keeps what it knows of everyone
// else (cache.Shared.Apply). Call it before the first IsSalesMember.
func (m *SalesMembers) Share(stamps cache.Stamps) {
	m.shared = cache.NewShared(stamps, "teams:members")
	m.shared.Now = m.members.Now
}

// SetClock replaces the clock of the kept answers and of their sharing
// (tests). Call it before the first IsSalesMember.
func (m *SalesMembers) SetClock(now func() time.Time) {
	m.members.Now, m.roles.cache.Now = now, now
	if m.shared != nil {
		m.shared.Now = now
	}
}

// fresh announces the changes this replica's refreshes found and could
// not announce then (refreshed), and drops the answers kept of the users
// another replica was told of a change of, or found one of, since this one
// last looked (Share), or every answer when it cannot tell whom the
// changes were of.
func (m *SalesMembers) fresh(ctx context.Context) error {
	m.shareRefreshed(ctx)
	if err := m.shared.Apply(ctx, kept{m}); err != nil {
		return fmt.Errorf("teams: members of the sales channel's team: %w", err)
	}
	return nil
}

// kept is what SalesMembers keeps of each user, their membership of the
// sales channel's team and their role in the tenant, dropped together (a
// cache.Forgetter).
type kept struct{ m *SalesMembers }

// Forget drops what is kept of userID.
func (k kept) Forget(userID string) {
	k.m.members.Forget(userID)
	k.m.roles.forget(userID)
}

// Clear drops what is kept of every user.
func (k kept) Clear() {
	k.m.members.Clear()
	k.m.roles.cache.Clear()
}

// IsSalesMember reports whether userID is a full member of the tenant in
// the sales channel's team. A guest of the tenant, in the team or outside
// it, gets an EFORBIDDEN error with NotAMember, which refuses them
// whatever else they are (a manager too: bot.Bot.ReadsLeads). Any other
// error means the channel is not known yet or the Bot Connector cannot be
// asked (both marked bot.Unanswered), or the store failed (not marked).
// Of someone outside the team whose role cannot be asked (they never
// wrote to the bot) it reports false.
func (m *SalesMembers) IsSalesMember(ctx context.Context, userID string) (bool, error) {
	if userID == "" {
		return false, nil
	}
	if err := m.fresh(ctx); err != nil {
		return false, err
	}
	var ms membership
	if m.channel != "" {
		var err error
		if ms, err = m.members.Get(ctx, userID); err != nil {
			return false, slow(err)
		}
	}
	guest, err := m.guest(ctx, userID, ms)
	switch {
	case err != nil:
		return false, err
	case guest:
		return false, fmt.Errorf("teams: %s is not a full member of the tenant: %w", userID, handoff.Errorf(handoff.EFORBIDDEN, "%s", NotAMember))
	}
	return ms.member, nil
}

// IsGuest reports whether userID is a guest of the tenant (any userRole
// but "user"): by the sales channel's team's member record, else by the
// record of a conversation they wrote in (roles). It is false for
// someone whose role cannot be asked (they never wrote to the bot and are
// not in the team), and when the Bot Connector cannot be asked (the error
// says why, marked bot.Unanswered) or the store fails (not marked).
func (m *SalesMembers) IsGuest(ctx context.Context, userID string) (bool, error) {
	if userID == "" {
		return false, nil
	}
	if err := m.fresh(ctx); err != nil {
		return false, err
	}
	var ms membership
	if m.channel != "" {
		ms, _ = m.members.Get(ctx, userID) // without an answer, the role is asked where they wrote
	}
	return m.guest(ctx, userID, ms)
}

// guest reports whether userID is a guest: by ms, their record in the
// sales channel's team, when they are in it, else by roles.
func (m *SalesMembers) guest(ctx context.Context, userID string, ms membership) (bool, error) {
	if ms.member {
		return ms.guest(), nil
	}
	r, err := m.roles.role(ctx, userID)
	switch {
	case handoff.ErrorCode(err) == handoff.ENOTFOUND:
		return false, nil
	case err != nil:
		return false, err
	}
	return r.guest(), nil
}

// Changed forgets whether userID is a member, and their role, when Teams
// says they were added to or removed from team, the sales channel's team
// or one the stored channels cannot tell apart from it (the sales channel
// not installed yet, or configured by an id not stored). Their next
// request asks the Bot Connector, so someone removed loses sight of leads
// at once, not 5 minutes later, on every replica sharing the change
// (Share), each of which asks again about that user and no one else. It
// returns an error when the change could not be shared: the activity is
// to be handled again.
func (m *SalesMembers) Changed(ctx context.Context, team, userID string) error {
	if ref, err := m.platform.store.TeamsConversation(ctx, m.channel); err == nil && ref.TeamID != "" && ref.TeamID != team {
		return nil // another team's member: their answer stands
	}
	kept{m}.Forget(userID)
	if err := m.shared.AnnounceKey(ctx, userID); err != nil {
		return fmt.Errorf("teams: %s in team %s: %w", userID, team, err)
	}
	return nil
}

// lookup asks the Bot Connector whether userID is a member of the team,
// and as what (userRole); "not found" means not a member.
func (m *SalesMembers) lookup(ctx context.Context, userID string) (membership, error) {
	serviceURL, team, err := m.platform.teamOf(ctx, m.channel)
	if err != nil {
		return membership{}, err
	}
	member, found, err := m.platform.memberOf(ctx, serviceURL, team, userID)
	if err != nil {
		return membership{}, fmt.Errorf("teams: is %s in team %s: %w", userID, team, err)
	}
	return membership{member: found, role: member.UserRole}, nil
}

// memberOf returns userID's member record in conversation; found is false
// when the conversation does not have them (the Bot Connector's 404).
func (p *Platform) memberOf(ctx context.Context, serviceURL, conversation, userID string) (m Member, found bool, err error) {
	m, err = p.conn.ConversationMember(ctx, serviceURL, conversation, userID)
	var se *StatusError
	switch {
	case err == nil:
		return m, true, nil
	case errors.As(err, &se) && se.Code == http.StatusNotFound:
		return Member{}, false, nil
	}
	return Member{}, false, err
}

// teamOf returns the service URL and the team id (its General channel's
// conversation) of channel, a channel name or id. A channel Teams never
// told of (the app not installed in its team) is an ENOTFOUND error marked
// bot.Unanswered: Teams cannot be asked about its members.
func (p *Platform) teamOf(ctx context.Context, channel string) (serviceURL, team string, err error) {
	ref, _, err := p.lookup(ctx, channel)
	if handoff.ErrorCode(err) == handoff.ENOTFOUND {
		return "", "", bot.Unanswered(err)
	}
	if err != nil {
		return "", "", err
	}
	if ref.TeamID != "" {
		return ref.ServiceURL, ref.TeamID, nil
	}
	return ref.ServiceURL, ref.ConversationID, nil
}

// slow marks a cache's *cache.SlowError as Teams' failure to answer
// (bot.Unanswered) when the first fetch still under way after the cache's
// wait was then calling the Bot Connector (SlowError.Calling, noted by
// Connector.do); held up before or between its calls, by the store's reads
// (the stored channels, users, the replicas' shared changes), it is not
// Teams' doing and stays unmarked. Any other error is as the fetch
// returned it: the Bot Connector's marked (Connector.do), the store's not.
func slow(err error) error {
	var slowErr *cache.SlowError
	if errors.As(err, &slowErr) && slowErr.Calling {
		return bot.Unanswered(err)
	}
	return err
}
