package teams

import (
	"cmp"
	"context"
	"net/url"
	"strings"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
)

var _ bot.MessageLinker = (*Platform)(nil)

// MessageLink returns the deep link to message messageID, which the bot
// posted in channel, in Microsoft's documented form for a message of a
// channel's conversation:
//
//	https://teams.microsoft.com/l/message/{channelId}/{messageId}?tenantId=…&groupId=…&parentMessageId=…&teamName=…&channelName=…
//
// built from what the store keeps of the channel and its team (its
// Microsoft 365 group id, its name), without asking Teams. It returns ""
// when a part is not known: a channel never stored, a team whose group id
// Teams has not sent since the app was added, a direct chat. A store that
// fails is an error.
func (p *Platform) MessageLink(ctx context.Context, channel, messageID string) (string, error) {
	if messageID == "" || isDirect(channel) {
		return "", nil
	}
	ref, err := p.resolve(ctx, channel)
	if handoff.ErrorCode(err) == handoff.ENOTFOUND {
		return "", nil
	}
	if err != nil {
		return "", err // resolve names the channel
	}
	team := handoff.TeamsConversation{}
	if (ref.GroupID == "" || ref.TeamName == "") && ref.TeamID != "" {
		// A channel created after the app was added is kept from an
		// event that may not name the team's group: its team's General
		// channel, kept when the app was added, does.
		team, err = p.store.TeamsConversation(ctx, ref.TeamID)
		if err != nil && handoff.ErrorCode(err) != handoff.ENOTFOUND {
			return "", err
		}
	}
	channelID := handoff.TeamsBaseConversation(cmp.Or(ref.ChannelID, ref.ConversationID))
	parent := messageID
	if _, root, ok := strings.Cut(channel, ";messageid="); ok && root != "" {
		parent = root // a reply in a thread
	}
	query := []struct{ key, value string }{
		{"tenantId", cmp.Or(ref.TenantID, p.tenantID)},
		{"groupId", cmp.Or(ref.GroupID, team.GroupID)},
		{"parentMessageId", parent},
		{"teamName", cmp.Or(ref.TeamName, team.TeamName)},
		{"channelName", ref.ChannelName},
	}
	var q []string
	for _, kv := range query {
		if kv.value == "" {
			return "", nil
		}
		q = append(q, kv.key+"="+queryEscape(kv.value))
	}
	return "https://teams.microsoft.com/l/message/" + url.PathEscape(channelID) + "/" + url.PathEscape(messageID) + "?" + strings.Join(q, "&"), nil
}

// queryEscape escapes v for a link's query, a space as %20 (as Teams
// writes its own links) rather than +.
func queryEscape(v string) string { return strings.ReplaceAll(url.QueryEscape(v), "+", "%20") }
