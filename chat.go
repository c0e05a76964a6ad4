package handoff

import (
	"strings"
	"time"
)

// ChatPost is a lead's message in one platform's sales channel.
type ChatPost struct {
	LeadID    int64
	Platform  string
	Channel   string // Slack channel id, or Teams conversation id
	MessageID string // Slack ts, or Teams activity id
}

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
	BotID          string // the bot's id in the conversation ("28:<app id>")
	Updated        time.Time
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
	Updated          time.Time
}

// TeamsBaseConversation strips the ";messageid=…" suffix that Teams adds to
// the conversation id of a channel thread.
func TeamsBaseConversation(id string) string {
	if i := strings.Index(id, ";messageid="); i >= 0 {
		return id[:i]
	}
	return id
}
