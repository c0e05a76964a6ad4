package slack

import (
	"encoding/json"
	"strconv"

	"github.com/handoff/handoff"
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
	bad := map[string]string{}
	for name, v := range fields {
		if p := handoff.CheckLen(v, handoff.MaxChatIDLen); p != "" {
			bad[name] = p
		}
	}
	if len(bad) > 0 {
		return handoff.Invalid("invalid event", bad)
	}
	return nil
}
