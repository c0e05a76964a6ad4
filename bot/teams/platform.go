package teams

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
)

// Name is the platform name stored with Teams posts and outbox messages.
const Name = "teams"

// DefaultServiceURL is the Teams Bot Connector endpoint used for one-to-one
// conversations with users of whom no service URL is stored.
const DefaultServiceURL = "https://smba.trafficmanager.net/teams/"

// Store is what the Teams platform needs from storage; *storage.Store
// implements it.
type Store interface {
	SaveTeamsConversation(ctx context.Context, c handoff.TeamsConversation, now time.Time) error
	TeamsConversation(ctx context.Context, idOrName string) (handoff.TeamsConversation, error)
	PinTeamsChannel(ctx context.Context, name string, now time.Time) (handoff.TeamsConversation, error)
	LatestTeamsConversation(ctx context.Context) (handoff.TeamsConversation, error)
	SaveTeamsUser(ctx context.Context, u handoff.TeamsUser, now time.Time) error
	TeamsUser(ctx context.Context, id string) (handoff.TeamsUser, error)
}

// Platform is bot.Platform over the Bot Connector. Channels are Teams
// channel conversation ids ("19:…@thread.tacv2") or channel names, resolved
// through the conversation references stored at installation. Teams has no
// ephemeral messages, so PostPrivate sends the message to the user's
// one-to-one chat with the bot, like DirectMessage (created with POST
// v3/conversations when the bot has none yet). It also looks up emails
// (bot.Directory).
type Platform struct {
	conn     *Connector
	store    Store
	tenantID string
	// Now is the clock (time.Now by default).
	Now func() time.Time

	mu    sync.Mutex
	users map[string]handoff.TeamsUser // cache of what the store holds
}

var (
	_ bot.Platform         = (*Platform)(nil)
	_ bot.Directory        = (*Platform)(nil)
	_ bot.PrivateMessenger = (*Platform)(nil)
)

// NewPlatform returns the Teams platform sending through conn, with
// references from store; tenantID (TEAMS_TENANT_ID) is the tenant of
// one-to-one conversations when a user's own is not stored.
func NewPlatform(conn *Connector, store Store, tenantID string) *Platform {
	return &Platform{conn: conn, store: store, tenantID: tenantID, Now: time.Now, users: map[string]handoff.TeamsUser{}}
}

// Name returns "teams".
func (p *Platform) Name() string { return Name }

// Post starts a new thread in channel with msg as an Adaptive Card and
// returns the activity id. A channel naming a thread (";messageid=") gets
// a reply in that thread instead.
func (p *Platform) Post(ctx context.Context, channel string, msg bot.Message) (string, error) {
	ref, err := p.resolve(ctx, channel)
	if err != nil {
		return "", err
	}
	act := p.cardActivity(RenderCard(msg, p.names(ctx)))
	if strings.Contains(channel, ";messageid=") {
		id, err := p.conn.SendActivity(ctx, ref.ServiceURL, channel, act)
		if err == nil && id == "" {
			err = errors.New("teams: the service returned no activity id")
		}
		return id, err
	}
	channelID := ref.ChannelID
	if channelID == "" {
		channelID = ref.ConversationID
	}
	res, err := p.conn.CreateConversation(ctx, ref.ServiceURL, schema.ConversationParameters{
		IsGroup:     true,
		Bot:         schema.ChannelAccount{ID: ref.BotID},
		TenantID:    ref.TenantID,
		Activity:    act,
		ChannelData: map[string]interface{}{"channel": map[string]string{"id": channelID}},
	})
	if err != nil {
		return "", err
	}
	id := res.ActivityID
	if id == "" {
		if _, after, ok := strings.Cut(res.ID, ";messageid="); ok {
			id = after
		}
	}
	if id == "" {
		// The post exists but cannot be updated; retrying would post twice.
		return "", bot.Permanent(errors.New("teams: the service returned no activity id"))
	}
	return id, nil
}

// Update replaces the card messageID in channel with msg. A channel that
// is a user id ("29:…", as DirectMessage returns it) names the one-to-one
// chat with that user.
func (p *Platform) Update(ctx context.Context, channel, messageID string, msg bot.Message) error {
	if isDirect(channel) {
		serviceURL, conversation, err := p.directConversation(ctx, channel)
		if err != nil {
			return err
		}
		return p.conn.UpdateActivity(ctx, serviceURL, conversation, messageID, p.cardActivity(RenderCard(msg, p.names(ctx))))
	}
	ref, err := p.resolve(ctx, channel)
	if err != nil {
		return err
	}
	conversation := channel
	if !strings.Contains(channel, ";messageid=") {
		conversation = ref.ConversationID + ";messageid=" + messageID
	}
	act := p.cardActivity(RenderCard(msg, p.names(ctx)))
	return p.conn.UpdateActivity(ctx, ref.ServiceURL, conversation, messageID, act)
}

// PostPrivate sends msg to userID's one-to-one chat with the bot: Teams
// cannot show a message to one member of a channel.
func (p *Platform) PostPrivate(ctx context.Context, channel, userID string, msg bot.Message) error {
	_, err := p.sendCard(ctx, userID, RenderCard(msg, p.names(ctx)))
	return err
}

// PostPrivateMessage is PostPrivate returning where the notice is (the
// user id, as for DirectMessage) and its activity id, with which Update
// can change it.
func (p *Platform) PostPrivateMessage(ctx context.Context, channel, userID string, msg bot.Message) (string, string, error) {
	return p.DirectMessage(ctx, userID, msg)
}

// DirectMessage sends msg to the one-to-one chat with userID, creating the
// chat (and remembering it) when the bot has none. It returns the user id
// as the channel (Update finds the chat by it) and the activity id.
func (p *Platform) DirectMessage(ctx context.Context, userID string, msg bot.Message) (string, string, error) {
	if u, err := p.user(ctx, userID); err == nil && u.ID != "" {
		userID = u.ID // a user named by Entra object id (a rep of the routing agreement)
	}
	id, err := p.sendCard(ctx, userID, RenderCard(msg, p.names(ctx)))
	return userID, id, err
}

// isDirect reports whether channel names a user's one-to-one chat: a Bot
// Framework user id, or an Entra object id.
func isDirect(channel string) bool {
	return strings.HasPrefix(channel, "29:") || len(channel) == 36 && strings.Count(channel, "-") == 4 && !strings.ContainsAny(channel, ":@ ")
}

// SendCard sends card to the one-to-one chat with userID.
func (p *Platform) SendCard(ctx context.Context, userID string, card Card) error {
	_, err := p.sendCard(ctx, userID, card)
	return err
}

func (p *Platform) sendCard(ctx context.Context, userID string, card Card) (string, error) {
	serviceURL, conversation, err := p.directConversation(ctx, userID)
	if err != nil {
		return "", err
	}
	return p.conn.SendActivity(ctx, serviceURL, conversation, p.cardActivity(card))
}

// Reply sends msg to the conversation named by replyTo (a conversation id
// the bot knows); Teams has no response URLs.
func (p *Platform) Reply(ctx context.Context, replyTo string, msg bot.Message) error {
	if replyTo == "" {
		return bot.Permanent(errors.New("teams: reply without a conversation"))
	}
	ref, err := p.resolve(ctx, replyTo)
	if err != nil {
		return err
	}
	_, err = p.conn.SendActivity(ctx, ref.ServiceURL, replyTo, p.cardActivity(RenderCard(msg, p.names(ctx))))
	return err
}

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
// Entra id, tenant, service URL and, from a personal chat, the chat's id),
// writing to the store only when something changed.
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
		{&merged.ServiceURL, u.ServiceURL}, {&merged.DMConversationID, u.DMConversationID},
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

// Render renders msg as a card with the display names the platform knows.
func (p *Platform) Render(ctx context.Context, msg bot.Message) Card {
	return RenderCard(msg, p.names(ctx))
}

// resolve finds the conversation reference of a channel id or name. A
// name is resolved once and pinned to its conversation id, so renames are
// followed and a newer channel of the same name never takes over; an
// ambiguous name is an ECONFLICT error naming the candidates. A channel id
// ("19:…") that was never stored is reached with the service URL and
// tenant of the latest stored reference. An unknown channel is a transient
// error: it works once the app is installed.
func (p *Platform) resolve(ctx context.Context, channel string) (handoff.TeamsConversation, error) {
	ref, err := p.store.PinTeamsChannel(ctx, channel, p.Now().UTC())
	if err == nil {
		return ref, nil
	}
	if handoff.ErrorCode(err) != handoff.ENOTFOUND {
		return ref, err
	}
	if strings.HasPrefix(channel, "19:") {
		latest, lerr := p.store.LatestTeamsConversation(ctx)
		if lerr == nil {
			base := handoff.TeamsBaseConversation(channel)
			latest.ConversationID, latest.ChannelID, latest.ChannelName = base, base, ""
			return latest, nil
		}
	}
	return ref, fmt.Errorf("teams: channel %q: %w", channel, err)
}

// PinChannels resolves and pins the channels named in the configuration
// (ids are left as they are). A name no stored channel has yet is fine (it
// is pinned when the app is installed and the name first used); an
// ambiguous one is returned as an ECONFLICT error naming the candidates.
func (p *Platform) PinChannels(ctx context.Context, channels ...string) error {
	for _, ch := range channels {
		if ch == "" {
			continue
		}
		_, err := p.store.PinTeamsChannel(ctx, ch, p.Now().UTC())
		if err != nil && handoff.ErrorCode(err) != handoff.ENOTFOUND {
			return fmt.Errorf("teams: channel %q: %w", ch, err)
		}
	}
	return nil
}

// directConversation returns the service URL and id of the one-to-one chat
// with userID, creating the chat when none is known.
func (p *Platform) directConversation(ctx context.Context, userID string) (serviceURL, conversation string, err error) {
	u, err := p.user(ctx, userID)
	if err != nil && handoff.ErrorCode(err) != handoff.ENOTFOUND {
		return "", "", err
	}
	if u.DMConversationID != "" && u.ServiceURL != "" {
		return u.ServiceURL, u.DMConversationID, nil
	}
	serviceURL, tenant := u.ServiceURL, u.TenantID
	if serviceURL == "" || tenant == "" {
		if ref, err := p.store.LatestTeamsConversation(ctx); err == nil {
			serviceURL, tenant = cmpOr(serviceURL, ref.ServiceURL), cmpOr(tenant, ref.TenantID)
		}
	}
	serviceURL, tenant = cmpOr(serviceURL, DefaultServiceURL), cmpOr(tenant, p.tenantID)
	res, err := p.conn.CreateConversation(ctx, serviceURL, schema.ConversationParameters{
		Bot:         schema.ChannelAccount{ID: "28:" + p.conn.AppID()},
		Members:     []schema.ChannelAccount{{ID: u.ID}},
		TenantID:    tenant,
		ChannelData: map[string]interface{}{"tenant": map[string]string{"id": tenant}},
	})
	if err != nil {
		return "", "", err
	}
	if res.ID == "" {
		return "", "", errors.New("teams: create conversation returned no id")
	}
	// Remembering is best effort: without it the chat is looked up again
	// next time (Teams returns the same one).
	_ = p.RememberUser(ctx, handoff.TeamsUser{ID: u.ID, ServiceURL: serviceURL, TenantID: tenant, DMConversationID: res.ID})
	return serviceURL, res.ID, nil
}

// cardActivity wraps card in a message activity with the card's fallback
// text as the notification text.
func (p *Platform) cardActivity(card Card) schema.Activity {
	return schema.Activity{
		Type:        schema.Message,
		Summary:     card.FallbackText,
		Attachments: []schema.Attachment{{ContentType: CardContentType, Content: card}},
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Managers knows the Teams users who are sales managers: configured Bot
// Framework user ids, Entra object ids or emails.
type Managers struct {
	ids      map[string]bool
	emails   bool // some entries are emails
	platform *Platform

	mu     sync.Mutex
	lookup map[string]string // user → email, once found
}

var _ bot.Managers = (*Managers)(nil)

// NewManagers returns the managers named by ids (TEAMS_MANAGERS), matched
// case-insensitively against a user's Bot Framework id, Entra object id and
// (for entries with an "@") email.
func NewManagers(platform *Platform, ids []string) *Managers {
	m := &Managers{ids: map[string]bool{}, platform: platform, lookup: map[string]string{}}
	for _, id := range ids {
		if id = strings.ToLower(strings.TrimSpace(id)); id != "" {
			m.ids[id] = true
			m.emails = m.emails || strings.Contains(id, "@")
		}
	}
	return m
}

// IsManager reports whether userID is a manager. It returns an error only
// when the user's email is needed and cannot be looked up.
func (m *Managers) IsManager(ctx context.Context, userID string) (bool, error) {
	if m.ids[strings.ToLower(userID)] {
		return true, nil
	}
	if m.platform == nil || len(m.ids) == 0 {
		return false, nil
	}
	u, err := m.platform.user(ctx, userID)
	if err != nil && handoff.ErrorCode(err) != handoff.ENOTFOUND {
		return false, err
	}
	if u.AADObjectID != "" && m.ids[strings.ToLower(u.AADObjectID)] {
		return true, nil
	}
	if !m.emails {
		return false, nil
	}
	m.mu.Lock()
	email, ok := m.lookup[userID]
	m.mu.Unlock()
	if !ok {
		if email, err = m.platform.Email(ctx, userID); err != nil {
			return false, fmt.Errorf("teams: email of %s: %w", userID, err)
		}
		m.mu.Lock()
		m.lookup[userID] = email
		m.mu.Unlock()
	}
	return email != "" && m.ids[strings.ToLower(email)], nil
}
