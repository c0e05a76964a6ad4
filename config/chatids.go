package config

import (
	"fmt"
	"net/mail"
	"regexp"
	"strings"

	"github.com/handoff/handoff"
)

// Slack names channels, users and user groups by ids: a capital letter for
// the kind, then capitals and digits (a user's as the routing agreement
// checks a rep's, handoff.IsSlackUserID). A name in their place ("#sales-leads",
// "@louise") works at most for posting: the sales channel's members (who
// may see a lead's details), its history and a manager's user id are read
// by id, so a name would fail later, at a rep's click, or quietly (a
// manager never recognised). Load refuses it and says where Slack shows the id.
var slackIDs = map[string]struct {
	valid func(string) bool
	where string
}{
	"channel":    {regexp.MustCompile(`^[CG][A-Z0-9]+$`).MatchString, "C…: at the bottom of the channel's details, opened from its name"},
	"user":       {handoff.IsSlackUserID, "U…: in the member's profile, ⋮ → Copy member ID"},
	"user group": {regexp.MustCompile(`^S[A-Z0-9]+$`).MatchString, "S…: usergroups.list, or the group's page in the workspace's admin"},
}

// slackIDProblem says why v is not the Slack id of kind ("channel", "user",
// "user group"), "" when it is one (or empty).
func slackIDProblem(kind, v string) string {
	if p := handoff.CheckLen(v, handoff.MaxChatIDLen); p != "" {
		return fmt.Sprintf("%q is %s, more than Handoff keeps of a Slack %s id (Slack's are about a dozen)", handoff.CutChars(v, 40), p, kind)
	}
	id := slackIDs[kind]
	if v == "" || id.valid(v) {
		return ""
	}
	return fmt.Sprintf("%q is not a Slack %s id: set the id (%s), not a name", v, kind, id.where)
}

// teamsUserProblem says why v names no Teams user the way Handoff matches
// managers (bot/teams.Managers: a Bot Framework user id, 29:…, an Entra
// object id or an email), "" when it does: a display name would never match.
func teamsUserProblem(v string) string {
	if _, err := mail.ParseAddress(v); err == nil && strings.Contains(v, "@") && !strings.ContainsAny(v, " <>") {
		return ""
	}
	if handoff.IsEntraObjectID(v) || strings.HasPrefix(v, "29:") && !strings.ContainsAny(v, " \t") {
		return ""
	}
	return fmt.Sprintf("%q is neither an Entra object id, an email nor a Teams user id (29:…): name each manager by one, not by a display name", v)
}

// teamsChannelProblem says why v cannot name a Teams channel where Handoff
// posts, "" when it can: the store keeps a post's channel in a column of
// handoff.MaxChatIDLen characters (a Teams conversation id runs to about
// 130), which PostgreSQL holds to and SQLite does not.
func teamsChannelProblem(v string) string {
	if p := handoff.CheckLen(v, handoff.MaxChatIDLen); p != "" {
		return fmt.Sprintf("%q is %s, more than Handoff keeps of a Teams channel (a conversation id runs to about 130)", handoff.CutChars(v, 40), p)
	}
	return ""
}
