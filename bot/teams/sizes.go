package teams

import (
	"maps"
	"slices"
	"strconv"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
)

// checkSizes refuses an activity holding an id, name or service URL
// longer than the store keeps (handoff.MaxChatIDLen, MaxChatNameLen,
// MaxServiceURLLen), or a form's id or state not as Handoff sent it
// (checkForm): an EINVALID error naming the first such field, so that
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
	return checkForm(a.cardData())
}

// checkForm refuses a click's data (at place in the activity) that
// submits a form whose id ("form") is none of Handoff's forms
// (bot.CheckFormID), or whose state ("state") is not as Handoff made it
// (bot.CheckFormState: longer than handoff.MaxFormStateLen, its lead or
// channel not an id): an EINVALID error naming the first such field, as
// checkSizes does, before the Bot Connector or the store is asked
// anything, the sender not remembered.
func checkForm(d actionData, place string) error {
	_, hasState := d["state"]
	if !hasState && d.str("action") != VerbFormSubmit {
		return nil
	}
	if p := bot.CheckFormID(d.str("form")); p != "" {
		return invalidActivity(place+".form", p)
	}
	bad := bot.CheckFormState(place+".state", d.str("state"))
	if keys := slices.Sorted(maps.Keys(bad)); len(keys) > 0 {
		return invalidActivity(keys[0], bad[keys[0]])
	}
	return nil
}
