package slack

import (
	"encoding/json"
	"maps"
	"net"
	"net/url"
	"strconv"
	"strings"

	slackapi "github.com/slack-go/slack"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot"
)

// checkSizes refuses an event naming a user, channel or user group by an
// id longer than handoff.MaxChatIDLen (Slack's are about a dozen): an
// EINVALID error naming each such field, before the event is recorded,
// so that no database refuses it later (PostgreSQL's columns would;
// SQLite's would keep it) and nothing of it is stored.
func (e eventEnvelope) checkSizes() error {
	fields := map[string]string{"event.channel": e.Event.Channel, "event.subteam_id": e.Event.SubteamID}
	if id := e.userID(); id != "" {
		fields["event.user"] = id
	} else {
		var u struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(e.Event.User, &u) == nil {
			fields["event.user.id"] = u.ID
		}
	}
	for i, id := range e.Event.AddedUsers {
		fields["event.added_users["+strconv.Itoa(i)+"]"] = id
	}
	for i, id := range e.Event.RemovedUsers {
		fields["event.removed_users["+strconv.Itoa(i)+"]"] = id
	}
	return refuse("invalid event", checked{fields, handoff.CheckChatID})
}

// checkCommand refuses a slash command whose user, team, channel or
// trigger id is longer than handoff.MaxChatIDLen, or whose response_url
// is not one Handoff can keep and answer (checkResponseURL): an EINVALID
// error naming each such field, before Slack is asked anything about the
// user and before anything is recorded.
func checkCommand(cmd slackapi.SlashCommand) error {
	fields := map[string]string{"user_id": cmd.UserID, "team_id": cmd.TeamID, "channel_id": cmd.ChannelID, "trigger_id": cmd.TriggerID}
	return refuse("invalid slash command", checked{fields, handoff.CheckChatID}, checked{map[string]string{"response_url": cmd.ResponseURL}, checkResponseURL})
}

// checkInteraction refuses a click or form submission naming its user,
// team, channel, trigger or a picked user (a form's users_select) by an
// id that is not one (handoff.CheckChatID), a click on a lead button (a
// lead.* action) whose value is not a lead id (bot.LeadID: the cards set
// it to the id, "42"), a form submission whose view.callback_id is none of
// Handoff's forms (bot.CheckFormID: Handoff opens no other modal) or
// whose view.private_metadata is not a form's state as Handoff made it
// (bot.CheckFormState: longer than handoff.MaxFormStateLen, its lead or
// channel not an id), or one carrying a response_url Handoff cannot keep
// and answer (checkResponseURL): an EINVALID error naming each such
// field, before Slack is asked anything about the user and before
// anything is recorded.
func checkInteraction(ic slackapi.InteractionCallback) error {
	fields := map[string]string{
		"user.id": ic.User.ID, "user.team_id": ic.User.TeamID, "team.id": ic.Team.ID,
		"channel.id": ic.Channel.ID, "container.channel_id": ic.Container.ChannelID, "trigger_id": ic.TriggerID,
	}
	leads := map[string]string{}
	for i, act := range ic.ActionCallback.BlockActions {
		if act != nil && strings.HasPrefix(act.ActionID, "lead.") {
			leads["actions["+strconv.Itoa(i)+"].value"] = act.Value
		}
	}
	if ic.View.State != nil {
		for block, actions := range ic.View.State.Values {
			for id, v := range actions {
				fields["view.state.values."+block+"."+id+".selected_user"] = v.SelectedUser
			}
		}
	}
	bad := problems(checked{fields, handoff.CheckChatID}, checked{leads, leadValue},
		checked{map[string]string{"response_url": ic.ResponseURL}, checkResponseURL})
	if ic.Type == slackapi.InteractionTypeViewSubmission {
		maps.Copy(bad, problems(checked{map[string]string{"view.callback_id": ic.View.CallbackID}, bot.CheckFormID}))
		maps.Copy(bad, bot.CheckFormState("view.private_metadata", ic.View.PrivateMetadata))
	}
	return invalid("invalid interaction", bad)
}

// checked are values (field → value) and what to ask of each: the
// problem with it, or "" when there is none.
type checked struct {
	values  map[string]string
	problem func(string) string
}

// refuse returns an EINVALID error, what followed by the fields, naming
// every value of checks that has a problem; nil when none has.
func refuse(what string, checks ...checked) error {
	return invalid(what, problems(checks...))
}

// problems are the values of checks that have a problem, field →
// problem; empty when none has.
func problems(checks ...checked) map[string]string {
	bad := map[string]string{}
	for _, c := range checks {
		for name, v := range c.values {
			if p := c.problem(v); p != "" {
				bad[name] = p
			}
		}
	}
	return bad
}

// invalid is an EINVALID error, what followed by the fields of bad, or
// nil when bad is empty.
func invalid(what string, bad map[string]string) error {
	if len(bad) > 0 {
		return handoff.Invalid(what, bad)
	}
	return nil
}

// leadValue returns what is wrong with a lead button's value: longer
// than an id is kept (handoff.CheckChatID: leading zeros make no other
// lead id), or not a lead id (bot.LeadID); "" when it is one.
func leadValue(v string) string {
	if p := handoff.CheckChatID(v); p != "" {
		return p
	}
	if _, ok := bot.LeadID(v); !ok {
		return "not a lead id (a positive number)"
	}
	return ""
}

// checkResponseURL returns what is wrong with s as a response_url, or ""
// when nothing is (or it is empty: a form's submission has none): longer
// than handoff.MaxChatIDLen, since an answer that showed leads is kept
// with it as its message id (Slack's are about 80 characters), or not an
// absolute https URL. Plain http is taken for a loopback host only (a
// local fake of Slack); any other would send the answer, and the reply
// link's power to post, in the clear.
func checkResponseURL(s string) string {
	if s == "" {
		return ""
	}
	if p := handoff.CheckLen(s, handoff.MaxChatIDLen); p != "" {
		return p
	}
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() || u.Hostname() == "" {
		return "not an absolute https URL"
	}
	switch {
	case u.Scheme == "https":
		return ""
	case u.Scheme == "http" && isLoopback(u.Hostname()):
		return ""
	}
	return "not an absolute https URL"
}

// isLoopback reports whether host is localhost or a loopback IP.
func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || ip != nil && ip.IsLoopback()
}
