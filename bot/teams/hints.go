package teams

import "encoding/json"

// fixes says, for the Bot Connector error codes an admin can mend, what to
// do: StatusError names it after the code, so that the log, handoff outbox
// list and the managers' note on a card given up say how to mend it. Codes
// that mean a fault in Handoff (MessageSizeTooBig, BadArgument) have none.
var fixes = map[string]string{
	"BotNotInConversationRoster": "the app is not in that team or chat (removed or uninstalled): add Handoff to the team again",
	"BotDisabledByAdmin":         "a Teams admin has blocked the app: allow it in the Teams admin center (Manage apps)",
	"ConversationBlockedByUser":  "the person has blocked the app's chat",
	"ConversationNotFound": "no conversation with that id: check the channel ids (TEAMS_SALES_CHANNEL, " +
		"TEAMS_MANAGER_CHANNEL or the agreement's channels; 19:…@thread.tacv2, from the channel's link)",
	"BotNotRegistered": "Microsoft knows no bot with TEAMS_APP_ID: check the Azure Bot resource and the app's id",
}

// connectorError reads the code and message of a Bot Connector error
// answer, {"error":{"code":…,"message":…}}; empty when the body is not one.
func connectorError(body []byte) (code, message string) {
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil {
		return "", ""
	}
	return e.Error.Code, e.Error.Message
}
