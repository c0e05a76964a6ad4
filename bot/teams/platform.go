package teams

import (
	"cmp"
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
	// Roster, when set, finds the users named by email or Entra object id
	// who never talked to the bot among the members of the sales channel's
	// team (the reps of the routing agreement).
	Roster *Roster

	mu    sync.Mutex
	users map[string]handoff.TeamsUser // cache of what the store holds

	teamAsks teamAsks // asking Teams for teams' details (link.go)
}

var (
	_ bot.Platform         = (*Platform)(nil)
	_ bot.Directory        = (*Platform)(nil)
	_ bot.PrivateMessenger = (*Platform)(nil)
	_ bot.Placer           = (*Platform)(nil)
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
		return id, refused(ref, err)
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
		return "", refused(ref, err)
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
	return refused(ref, p.conn.UpdateActivity(ctx, ref.ServiceURL, conversation, messageID, act))
}

// Places returns where a refusal of the configured channel would name
// (bot.Placer): its conversation id and its team's id, as stored at
// installation; the id itself of a channel given by id and not stored,
// whose team is not known (resolve).
func (p *Platform) Places(ctx context.Context, channel string) ([]string, error) {
	ref, err := p.store.TeamsConversation(ctx, channel)
	switch {
	case err == nil:
		return []string{handoff.TeamsBaseConversation(ref.ConversationID), ref.TeamID}, nil
	case handoff.ErrorCode(err) == handoff.ENOTFOUND && strings.HasPrefix(channel, "19:"):
		return []string{handoff.TeamsBaseConversation(channel)}, nil
	case handoff.ErrorCode(err) == handoff.ENOTFOUND:
		return nil, nil // a name not installed yet: nothing was refused there
	}
	return nil, fmt.Errorf("teams: places of channel %q: %w", channel, err)
}

// refused marks the Bot Connector's refusal of a channel's conversation
// ref with bot.ChannelRefused, naming where the app must be back: its team,
// when the app is no longer in it (BotNotInConversationRoster), or the
// channel, when it is gone (ConversationNotFound) or its team is not known
// (a channel given by an id never stored). Other errors are returned as
// they are.
func refused(ref handoff.TeamsConversation, err error) error {
	var se *StatusError
	if !errors.As(err, &se) {
		return err
	}
	switch {
	case se.ErrorCode == "BotNotInConversationRoster" && ref.TeamID != "":
		return bot.ChannelRefused(ref.TeamID, err)
	case se.ErrorCode == "BotNotInConversationRoster", se.ErrorCode == "ConversationNotFound":
		return bot.ChannelRefused(handoff.TeamsBaseConversation(ref.ConversationID), err)
	}
	return err
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
	u, err := p.user(ctx, userID)
	switch {
	case err == nil && u.ID != "":
		userID = u.ID // a user named by Entra object id or email (a rep of the routing agreement)
	case strings.Contains(userID, "@") && handoff.ErrorCode(err) == handoff.ENOTFOUND:
		return "", "", bot.Permanent(fmt.Errorf("teams: direct message to a user named by email: %w", err))
	case strings.Contains(userID, "@"):
		return "", "", fmt.Errorf("teams: direct message to a user named by email: %w", err)
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

// Render renders msg as a card with the display names the platform knows.
func (p *Platform) Render(ctx context.Context, msg bot.Message) Card {
	return RenderCard(msg, p.names(ctx))
}

// resolve finds the conversation reference of a channel id or name, to
// post there. A name is resolved once and pinned to its conversation id, so
// renames are followed and a newer channel of the same name never takes
// over; an ambiguous name is an ECONFLICT error naming the candidates. A
// channel id ("19:…") that was never stored is reached with the service URL
// and tenant of the latest stored reference, and no team: which team holds
// it is not known, so a refusal names the channel itself (refused). An
// unknown channel is a transient error: it works once the app is installed.
func (p *Platform) resolve(ctx context.Context, channel string) (handoff.TeamsConversation, error) {
	ref, borrowed, err := p.lookup(ctx, channel)
	if borrowed {
		ref.TeamID, ref.TeamName, ref.GroupID = "", "", ""
	}
	return ref, err
}

// lookup is resolve, with the team of the latest stored reference kept on
// a reference borrowed for a channel id never stored (borrowed): the best
// guess of the team to ask about its members (teamOf).
func (p *Platform) lookup(ctx context.Context, channel string) (ref handoff.TeamsConversation, borrowed bool, err error) {
	ref, err = p.store.PinTeamsChannel(ctx, channel, p.Now().UTC())
	if err == nil {
		return ref, false, nil
	}
	if handoff.ErrorCode(err) != handoff.ENOTFOUND {
		return ref, false, err
	}
	if strings.HasPrefix(channel, "19:") {
		latest, lerr := p.store.LatestTeamsConversation(ctx)
		if lerr == nil {
			base := handoff.TeamsBaseConversation(channel)
			latest.ConversationID, latest.ChannelID, latest.ChannelName = base, base, ""
			return latest, true, nil
		}
	}
	return ref, false, fmt.Errorf("teams: channel %q: %w", channel, err)
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
			serviceURL, tenant = cmp.Or(serviceURL, ref.ServiceURL), cmp.Or(tenant, ref.TenantID)
		}
	}
	serviceURL, tenant = cmp.Or(serviceURL, DefaultServiceURL), cmp.Or(tenant, p.tenantID)
	conversation, err = p.openDirect(ctx, serviceURL, tenant, u.ID)
	if err != nil {
		return "", "", err
	}
	// Remembering is best effort: without it the chat is looked up again
	// next time (Teams returns the same one). A user known only by Entra
	// object id is not remembered under it: their Bot Framework id arrives
	// with their first activity, and a record keyed by the Entra id would
	// hide it (their clicks would not be recognised as theirs).
	if !handoff.IsEntraID(u.ID) {
		_ = p.RememberUser(ctx, handoff.TeamsUser{ID: u.ID, ServiceURL: serviceURL, TenantID: tenant, DMConversationID: conversation})
	}
	return serviceURL, conversation, nil
}

// openDirect returns the id of the one-to-one chat of the bot with userID
// in tenant, through the Bot Connector at serviceURL: Teams creates it,
// or answers the one there is. An id longer than handoff.MaxChatIDLen is
// a permanent error, before anything is sent there: the store could not
// keep it (nor a message there, to update or erase later), so every
// attempt would open the chat again.
func (p *Platform) openDirect(ctx context.Context, serviceURL, tenant, userID string) (string, error) {
	res, err := p.conn.CreateConversation(ctx, serviceURL, schema.ConversationParameters{
		Bot:         schema.ChannelAccount{ID: "28:" + p.conn.AppID()},
		Members:     []schema.ChannelAccount{{ID: userID}},
		TenantID:    tenant,
		ChannelData: map[string]interface{}{"tenant": map[string]string{"id": tenant}},
	})
	if err != nil {
		return "", err
	}
	if res.ID == "" {
		return "", errors.New("teams: create conversation returned no id")
	}
	if problem := handoff.CheckLen(res.ID, handoff.MaxChatIDLen); problem != "" {
		return "", bot.Permanent(fmt.Errorf("teams: create conversation answered a personal chat id %s", problem))
	}
	return res.ID, nil
}

// tellSender sends msg to the one-to-one chat with the sender of act:
// that chat itself when act came from it, else the chat Teams opens or
// finds through act's service URL and tenant. Unlike DirectMessage it
// reads and writes nothing of the store, so that it can tell the sender
// that the store failed (App.unrecorded); its card names nobody.
func (p *Platform) tellSender(ctx context.Context, act *Activity, msg bot.Message) error {
	conversation := act.Conversation.ID
	if act.Conversation.ConversationType != "personal" {
		var err error
		if conversation, err = p.openDirect(ctx, act.ServiceURL, cmp.Or(act.TenantID(), p.tenantID), act.From.ID); err != nil {
			return err
		}
	}
	_, err := p.conn.SendActivity(ctx, act.ServiceURL, conversation, p.cardActivity(RenderCard(msg, nil)))
	return err
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
