package teams

import (
	"cmp"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/internal/cache"
)

// roles knows the kind in the tenant (the member record's userRole) of
// Teams users outside the sales channel's team, whose team membership
// cannot say it. The Bot Connector is asked for the user's member record
// in a conversation they are in, as TeamsInfo.GetMemberAsync does: the
// one their last activity came from (a personal chat, or a channel's
// team), as this replica saw it or else as stored (TeamsUser.WroteIn, by
// the replica that had it), else their personal chat with the bot as
// stored. Answers are kept 5 minutes, or until forget or an activity
// from another conversation; a refresh that finds a user's role changed
// tells changed (newWatched).
type roles struct {
	platform *Platform
	cache    *cache.Cache[userRole]

	mu     sync.Mutex
	places map[string]place // user → the conversation of their last activity
}

// place is a conversation to ask the Bot Connector about its members.
type place struct {
	serviceURL, conversation string
}

// userRole is what the Bot Connector said of a user's kind in the tenant.
type userRole struct {
	known bool   // false: the conversation asked does not have the user
	role  string // the member record's userRole, when known
}

// guest reports whether the role is known and not a full member's
// (Member.FullMember): a guest, an anonymous user, or a role Teams may add.
func (r userRole) guest() bool {
	return r.known && !(Member{UserRole: r.role}).FullMember()
}

// errNowhere is the error of a user no conversation is known with: their
// role cannot be asked.
var errNowhere = handoff.Errorf(handoff.ENOTFOUND, "no conversation with the user is known")

// newRoles returns the roles of users, asked through p; changed is told
// of a user whose role a refresh found changed.
func newRoles(p *Platform, changed func(ctx context.Context, userID string)) *roles {
	r := &roles{platform: p, places: map[string]place{}}
	r.cache = newWatched(p, 5*time.Minute, r.lookup, changed)
	return r
}

// saw records where userID wrote: their role is asked there. An answer
// kept from another conversation is asked again.
func (r *roles) saw(userID string, where place) {
	if userID == "" || where.serviceURL == "" || where.conversation == "" {
		return
	}
	r.mu.Lock()
	old, ok := r.places[userID]
	r.places[userID] = where
	r.mu.Unlock()
	if ok && old != where {
		r.cache.Forget(userID)
	}
}

// role returns what the Bot Connector says of userID's kind in the
// tenant. It returns errNowhere (ENOTFOUND) when no conversation with them
// is known, and another error when the Bot Connector cannot be asked
// (marked bot.Unanswered) or the store fails.
func (r *roles) role(ctx context.Context, userID string) (userRole, error) {
	role, err := r.cache.Get(ctx, userID)
	return role, slow(err)
}

// forget drops what is kept of userID's role.
func (r *roles) forget(userID string) { r.cache.Forget(userID) }

func (r *roles) lookup(ctx context.Context, userID string) (userRole, error) {
	r.mu.Lock()
	where, ok := r.places[userID]
	r.mu.Unlock()
	if !ok {
		u, err := r.platform.store.TeamsUser(ctx, userID) // as stored now: another replica may have seen them since
		switch {
		case err != nil && handoff.ErrorCode(err) != handoff.ENOTFOUND:
			return userRole{}, err
		case u.ServiceURL == "" || u.WroteIn == "" && u.DMConversationID == "":
			return userRole{}, errNowhere
		}
		where = place{serviceURL: u.ServiceURL, conversation: cmp.Or(u.WroteIn, u.DMConversationID)}
	}
	m, found, err := r.platform.memberOf(ctx, where.serviceURL, where.conversation, userID)
	if err != nil {
		return userRole{}, fmt.Errorf("teams: role of %s in %s: %w", userID, where.conversation, err)
	}
	return userRole{known: found, role: m.UserRole}, nil
}

// activityPlace is the conversation to ask about the sender of act: the
// team of a channel's activity (as TeamsInfo.GetMemberAsync asks), else
// the conversation itself (a personal or group chat).
func activityPlace(act *Activity) place {
	conversation := handoff.TeamsBaseConversation(act.Conversation.ID)
	if team := act.TeamsChannelData().Team.ID; team != "" && act.Conversation.ConversationType == "channel" {
		conversation = team
	}
	return place{serviceURL: act.ServiceURL, conversation: conversation}
}
