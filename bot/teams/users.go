package teams

import (
	"context"
	"strings"

	"github.com/handoff/handoff"
)

// Email returns the user's email (or UPN) from the conversation members
// API, asked through the user's one-to-one chat or a stored channel.
func (p *Platform) Email(ctx context.Context, userID string) (string, error) {
	u, _ := p.user(ctx, userID)
	serviceURL, conversation := u.ServiceURL, u.DMConversationID
	if conversation == "" || serviceURL == "" {
		ref, err := p.store.LatestTeamsConversation(ctx)
		if err != nil {
			return "", err
		}
		serviceURL, conversation = ref.ServiceURL, ref.ConversationID
	}
	m, err := p.conn.ConversationMember(ctx, serviceURL, conversation, userID)
	if err != nil {
		return "", err
	}
	if m.Email != "" {
		return strings.ToLower(m.Email), nil
	}
	return strings.ToLower(m.UserPrincipalName), nil
}

// RememberUser records a user seen in an authenticated activity (name,
// Entra id, tenant, service URL, the conversation they wrote from and,
// from a personal chat, the chat's id), writing to the store only when
// something changed.
func (p *Platform) RememberUser(ctx context.Context, u handoff.TeamsUser) error {
	if u.ID == "" {
		return nil
	}
	p.mu.Lock()
	old, ok := p.users[u.ID]
	p.mu.Unlock()
	merged := old
	for _, f := range []struct {
		dst *string
		v   string
	}{
		{&merged.AADObjectID, u.AADObjectID}, {&merged.Name, u.Name}, {&merged.TenantID, u.TenantID},
		{&merged.ServiceURL, u.ServiceURL}, {&merged.DMConversationID, u.DMConversationID}, {&merged.WroteIn, u.WroteIn},
	} {
		if f.v != "" {
			*f.dst = f.v
		}
	}
	merged.ID = u.ID
	if ok && merged == old {
		return nil
	}
	if err := p.store.SaveTeamsUser(ctx, u, p.Now()); err != nil {
		return err
	}
	p.mu.Lock()
	p.users[u.ID] = merged
	p.mu.Unlock()
	return nil
}

// user returns what is known of userID (by Bot Framework id or Entra id),
// from the cache or the store.
func (p *Platform) user(ctx context.Context, userID string) (handoff.TeamsUser, error) {
	p.mu.Lock()
	u, ok := p.users[userID]
	p.mu.Unlock()
	if ok {
		return u, nil
	}
	u, err := p.store.TeamsUser(ctx, userID)
	if handoff.ErrorCode(err) == handoff.ENOTFOUND && p.Roster != nil && (strings.Contains(userID, "@") || handoff.IsEntraID(userID)) {
		return p.rosterUser(ctx, userID, err)
	}
	if err != nil {
		return handoff.TeamsUser{ID: userID}, err
	}
	p.mu.Lock()
	p.users[u.ID] = u
	p.mu.Unlock()
	return u, nil
}

// UserID returns the Bot Framework id of a user named by Bot Framework id
// or Entra object id (as the people picker answers), or ENOTFOUND when the
// user never talked to the bot.
func (p *Platform) UserID(ctx context.Context, id string) (string, error) {
	u, err := p.user(ctx, id)
	if err != nil {
		return "", err
	}
	return u.ID, nil
}

// names looks display names up for mentions.
func (p *Platform) names(ctx context.Context) Names {
	return func(userID string) (string, bool) {
		u, err := p.user(ctx, userID)
		return u.Name, err == nil && u.Name != ""
	}
}

// rosterUser finds a user named by email or Entra object id who never
// talked to the bot among the sales team's members, and remembers them
// (their Bot Framework id, Entra id and name). notFound is returned when
// no member matches.
func (p *Platform) rosterUser(ctx context.Context, id string, notFound error) (handoff.TeamsUser, error) {
	m, err := p.Roster.Find(ctx, id)
	switch {
	case handoff.ErrorCode(err) == handoff.ENOTFOUND:
		return handoff.TeamsUser{ID: id}, notFound
	case err != nil:
		return handoff.TeamsUser{ID: id}, err
	}
	u := handoff.TeamsUser{ID: m.ID, AADObjectID: m.AADObjectID, Name: m.Name}
	if err := p.RememberUser(ctx, u); err != nil {
		return handoff.TeamsUser{ID: id}, err
	}
	return p.user(ctx, m.ID)
}
