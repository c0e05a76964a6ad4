package teams

import (
	"maps"
	"slices"
	"strconv"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
)

// checkSizes refuses an activity holding an id that is not one
// (handoff.CheckChatID: longer than handoff.MaxChatIDLen, or with a
// control character, such as the NUL PostgreSQL refuses and SQLite
// keeps, or a line break), a name or service URL longer than the store
// keeps (handoff.MaxChatNameLen, MaxServiceURLLen), or a form's id or
// state not as Handoff sent it (checkForm): an EINVALID error naming the
// first such field, so that no database refuses it later and nothing of
// it is stored. Names may hold any text. The activity's own id and
// replyToId are kept only hashed, or not at all; its tenant must be one
// of Handoff's (CheckOrigin).
func (a *Activity) checkSizes() error {
	cd := a.TeamsChannelData()
	id := handoff.CheckChatID
	name := func(s string) string { return handoff.CheckLen(s, handoff.MaxChatNameLen) }
	type field struct {
		name, v string
		check   func(string) string
	}
	fields := []field{
		{"from.id", a.From.ID, id}, {"from.aadObjectId", a.From.AadObjectID, id},
		{"from.name", a.From.Name, name}, {"recipient.id", a.Recipient.ID, id},
		{"conversation.id", a.Conversation.ID, id},
		{"serviceUrl", a.ServiceURL, func(s string) string { return handoff.CheckLen(s, handoff.MaxServiceURLLen) }},
		{"channelData.team.id", cd.Team.ID, id}, {"channelData.team.name", cd.Team.Name, name},
		{"channelData.team.aadGroupId", cd.Team.AADGroupID, id},
		{"channelData.channel.id", cd.Channel.ID, id}, {"channelData.channel.name", cd.Channel.Name, name},
	}
	for i, m := range a.MembersAdded {
		fields = append(fields, field{"membersAdded[" + strconv.Itoa(i) + "].id", m.ID, id})
	}
	for i, m := range a.MembersRemoved {
		fields = append(fields, field{"membersRemoved[" + strconv.Itoa(i) + "].id", m.ID, id})
	}
	for _, m := range a.Mentions() { // a rep named by @mention (away, reassign)
		fields = append(fields, field{"entities[].mentioned.id", m.ID, id})
	}
	for _, f := range fields {
		if p := f.check(f.v); p != "" {
			return invalidActivity(f.name, p)
		}
	}
	return checkForm(a.cardData())
}

// checkForm refuses a click's data (at place in the activity) that
// submits a form whose id ("form") is none of Handoff's forms
// (bot.CheckFormID), or whose state ("state") is not as Handoff made it
// (bot.CheckFormState: longer than handoff.MaxFormStateLen, its lead or
// channel not an id), or a Reassign form whose picked owner ("in_owner")
// is not a chat id (handoff.CheckChatID): an EINVALID error naming the
// first such field, as checkSizes does, before the Bot Connector or the
// store is asked anything, the sender not remembered.
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
	if d.str("form") == bot.ActionReassign {
		// The people picker's answer: an Entra object id, looked up
		// and kept as the lead's owner, as Slack's picked user is checked.
		owner := FormInputPrefix + "owner"
		if p := handoff.CheckChatID(d.str(owner)); p != "" {
			return invalidActivity(place+"."+owner, p)
		}
	}
	return nil
}
