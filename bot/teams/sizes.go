package teams

import (
	"strconv"

	"github.com/handoff/handoff"
)

// checkSizes refuses an activity holding an id, name or service URL
// longer than the store keeps (handoff.MaxChatIDLen, MaxChatNameLen,
// MaxServiceURLLen): an EINVALID error naming the first such field, so that
// no database refuses it later (PostgreSQL's columns would; SQLite's
// would keep it) and nothing of it is stored. The activity's own id and
// replyToId are kept only hashed, or not at all.
func (a *Activity) checkSizes() error {
	cd := a.TeamsChannelData()
	type field struct {
		name, v string
		max     int
	}
	fields := []field{
		{"from.id", a.From.ID, handoff.MaxChatIDLen}, {"from.aadObjectId", a.From.AadObjectID, handoff.MaxChatIDLen},
		{"from.name", a.From.Name, handoff.MaxChatNameLen}, {"recipient.id", a.Recipient.ID, handoff.MaxChatIDLen},
		{"conversation.id", a.Conversation.ID, handoff.MaxChatIDLen}, {"serviceUrl", a.ServiceURL, handoff.MaxServiceURLLen},
		{"channelData.team.id", cd.Team.ID, handoff.MaxChatIDLen}, {"channelData.team.name", cd.Team.Name, handoff.MaxChatNameLen},
		{"channelData.team.aadGroupId", cd.Team.AADGroupID, handoff.MaxChatIDLen},
		{"channelData.channel.id", cd.Channel.ID, handoff.MaxChatIDLen}, {"channelData.channel.name", cd.Channel.Name, handoff.MaxChatNameLen},
	}
	for i, m := range a.MembersAdded {
		fields = append(fields, field{"membersAdded[" + strconv.Itoa(i) + "].id", m.ID, handoff.MaxChatIDLen})
	}
	for i, m := range a.MembersRemoved {
		fields = append(fields, field{"membersRemoved[" + strconv.Itoa(i) + "].id", m.ID, handoff.MaxChatIDLen})
	}
	for _, m := range a.Mentions() { // a rep named by @mention (away, reassign)
		fields = append(fields, field{"entities[].mentioned.id", m.ID, handoff.MaxChatIDLen})
	}
	for _, f := range fields {
		if p := handoff.CheckLen(f.v, f.max); p != "" {
			return invalidActivity(f.name, p)
		}
	}
	return nil
}
