package teams

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

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

// tokenFixes says, for the Microsoft identity platform's error codes
// (AADSTS…) when it refuses the bot a token, what to do about them.
var tokenFixes = map[int]string{
	7000215: "TEAMS_APP_PASSWORD is not the value of one of the app registration's client secrets (its ID will not do): copy a secret's value",
	7000222: "the client secret in TEAMS_APP_PASSWORD has expired: create a new one under the app registration's Certificates & secrets",
	700016:  "no app with TEAMS_APP_ID in that tenant: check TEAMS_APP_ID and TEAMS_TENANT_ID (a single-tenant bot is in its own tenant)",
	90002:   "no such tenant: set TEAMS_TENANT_ID to the Directory (tenant) ID of the bot's app registration",
	1002012: "the token scope does not suit the bot's cloud: check TEAMS_CLOUD (or TEAMS_TOKEN_SCOPE)",
}

// tokenError describes the token endpoint's refusal: its error, the first
// line of its description and what to do about a code an admin can mend;
// the start of the body when it is not the identity platform's error.
func tokenError(status int, body []byte) error {
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
		Codes       []int  `json:"error_codes"`
	}
	if json.Unmarshal(body, &e) != nil || e.Error == "" {
		return fmt.Errorf("teams token: HTTP %d: %s", status, snippet(body))
	}
	s := fmt.Sprintf("teams token: HTTP %d %s", status, e.Error)
	if line, _, _ := strings.Cut(e.Description, "\r\n"); strings.TrimSpace(line) != "" {
		s += ": " + snippet([]byte(line))
	}
	for _, c := range e.Codes {
		if f := tokenFixes[c]; f != "" {
			s += " (" + f + ")"
			break
		}
	}
	return errors.New(s)
}
