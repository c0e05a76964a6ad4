package handoff

import (
	"strings"
	"time"
)

// Delivery is one delivery of a chat action that its platform may deliver
// again (Teams does when the first delivery took over 15 s or failed):
// Source is the platform, Key the delivery's key there. The store records
// it with what the action writes, so that a delivery again writes nothing;
// the zero Delivery is none.
type Delivery struct{ Source, Key string }

// ChatPost is a message the bot posted that shows a lead: its card in one
// platform's sales channel (Kind ""), or another message kept so that
// erasing the lead can update it (Kind PostDirect, PostReminder …).
type ChatPost struct {
	LeadID    int64
	Platform  string
	Channel   string // Slack channel id, or Teams conversation id
	MessageID string // Slack ts, or Teams activity id
	// Kind is "" for the lead's card in the sales channel; a lead has one
	// card per platform.
	Kind string
	// SQLAt is, for a card, when the lead had become the SQL it announces
	// (nil for cards stored before this was recorded).
	SQLAt *time.Time
	// ExpiresAt is, for a message that can be replaced only for a while
	// (a Slack response_url answer, PostReply), when that ends.
	ExpiresAt *time.Time
	// Posted is, for a card an earlier attempt had posted and a later one
	// found (its answer lost, or its process stopped before the record),
	// when it was posted, which dates the card's showing (Lead.CardShown);
	// zero for a post made when it is recorded.
	Posted time.Time
	// Notice is, for a message rendered from the store when it was sent
	// (PostDeactivated: a DeactivatedNotice), that message's outbox
	// payload, which holds no personal data: erasing one of the leads it
	// shows renders it again from the payload.
	Notice string
	// Shown is, for a managers' note about a deactivated rep
	// (PostDeactivated), the fingerprint of the note as last posted or
	// updated (NoteFingerprint in bot/outbox), or a claim token while a
	// worker updates it, or "" when unknown: a note rendered the same as
	// it shows is not updated again. Every record of one note holds the
	// same value.
	Shown string
}

// Kinds of chat posts besides the card.
const (
	// PostEarlierCard is a card replaced by a newer announcement of the
	// same lead (it came back as an SQL), updated to say so when the newer
	// one announces a later SQL (CardCameBack).
	PostEarlierCard = "card.earlier"
	// PostDirect is a direct message about the lead (the owner's contact
	// details).
	PostDirect = "direct"
	// PostReminder is a reminder to the lead's owner.
	PostReminder = "reminder"
	// PostManagers is a post about the lead in the managers' channel (an
	// escalation).
	PostManagers = "managers"
	// PostDeactivated is the managers' note about a deactivated rep that
	// names the lead among theirs (OutboxRepDeactivated; ChatPost.Notice
	// holds its payload): erasing the lead renders the note again, with
	// the lead shown as erased and the others as they are, and so does
	// any other change of the lead, which queues a refresh of its chat
	// messages (OutboxRefreshLead, whose delivery renders these notes
	// again too).
	PostDeactivated = "managers.deactivated"
	// PostDigest is a weekly digest in the managers' channel whose open
	// breaches name the lead (ChatPost.Notice holds its DigestRequest):
	// erasing the lead builds that week's digest again, its open breaches
	// as of then.
	PostDigest = "managers.digest"
	// PostGivenUp is the managers' note that the lead's card was given up
	// (OutboxCardGivenUp), updated once a retry posts the card.
	PostGivenUp = "managers.card_given_up"
	// PostPrivate is a private notice or command answer that showed the
	// lead, in the user's one-to-one chat with the bot (Teams): updated by
	// its id like a direct message.
	PostPrivate = "private"
	// PostReply is a private command answer that showed the lead, shown
	// through a Slack response_url (MessageID): it can be replaced through
	// that URL until ExpiresAt (30 minutes, at most 5 uses), never after.
	PostReply = "reply"
)

// TeamsConversation is a stored Bot Framework conversation reference: where
// a Teams channel (or a team's General channel) can be reached proactively.
type TeamsConversation struct {
	// ConversationID is the channel's conversation id ("19:…@thread.tacv2"),
	// without any ";messageid=" suffix.
	ConversationID string
	ServiceURL     string
	TenantID       string
	ChannelID      string
	ChannelName    string
	TeamID         string
	TeamName       string
	// GroupID is the team's Microsoft 365 group id (Teams'
	// channelData.team.aadGroupId), which a link to a message in one of
	// its channels needs; "" until Teams sent it (the app added to the
	// team, a channel created or renamed there) after it was kept.
	GroupID string
	BotID   string // the bot's id in the conversation ("28:<app id>")
	Updated time.Time
}

// TeamsUser is a Teams user the bot has seen in an authenticated activity.
type TeamsUser struct {
	ID          string // the Bot Framework user id ("29:…")
	AADObjectID string
	Name        string
	TenantID    string
	ServiceURL  string
	// DMConversationID is the bot's one-to-one conversation with the user,
	// once known.
	DMConversationID string
	// WroteIn is the conversation the user last wrote to the bot from:
	// the team of a channel, or a chat. Their kind in the tenant (a guest
	// or a full member) is asked there, by any replica.
	WroteIn string
	Updated time.Time
}

// TeamsBaseConversation strips the ";messageid=…" suffix that Teams adds to
// the conversation id of a channel thread.
func TeamsBaseConversation(id string) string {
	if i := strings.Index(id, ";messageid="); i >= 0 {
		return id[:i]
	}
	return id
}
