package slack

import (
	"errors"
	"fmt"

	slackapi "github.com/slack-go/slack"
)

// fixes says, for the Slack error codes an admin can mend, what to do: it
// follows the code in the error's text, so that the log, handoff outbox
// list and the managers' note on a card given up name the fix, not only
// Slack's code. Codes that mean a fault in Handoff (invalid_blocks, say)
// have none.
var fixes = map[string]string{
	"not_in_channel": "the app is not a member of the channel: invite it there with /invite @Handoff",
	"channel_not_found": "no channel with that id is visible to the app: check the channel ids " +
		"(SLACK_SALES_CHANNEL, SLACK_MANAGER_CHANNEL or the agreement's channels), and invite the app to a private channel",
	"is_archived":                              "the channel is archived: unarchive it or configure another channel",
	"restricted_action":                        "the workspace does not let apps post in that channel: ask a Slack admin",
	"restricted_action_read_only_channel":      "the channel is read-only: let the app post there or configure another channel",
	"restricted_action_non_threadable_channel": "the channel does not allow threads: configure another channel",
	"missing_scope":                            "the app lacks a permission: reinstall it from manifest.yml",
	"not_allowed_token_type":                   "SLACK_BOT_TOKEN is not a bot token: use the xoxb-… token of the app's install",
	"invalid_auth":                             "Slack does not accept SLACK_BOT_TOKEN: set the bot token of the app's install",
	"not_authed":                               "no bot token was sent: set SLACK_BOT_TOKEN",
	"account_inactive":                         "the app's bot was deactivated (the app uninstalled?): reinstall the app and set its new SLACK_BOT_TOKEN",
	"token_revoked":                            "SLACK_BOT_TOKEN was revoked (the app uninstalled?): reinstall the app and set its new token",
	"token_expired":                            "SLACK_BOT_TOKEN has expired: Handoff needs a bot token that does not (manifest.yml turns token rotation off)",
	"team_access_not_granted":                  "the app is not installed in that workspace of the organization: install it there",
	"ekm_access_denied":                        "the workspace's Enterprise Key Management denies access: ask a Slack admin",
	"message_not_found":                        "the message was deleted in Slack",
	"cant_update_message":                      "the message was not posted by this app's token: it cannot change it",
}

// withFix returns err with what to do about its Slack error code after it,
// or err as it is when Slack gave no code with a known fix.
func withFix(err error) error {
	var se slackapi.SlackErrorResponse
	if errors.As(err, &se) {
		if f := fixes[se.Err]; f != "" {
			return fmt.Errorf("%w (%s)", err, f)
		}
	}
	return err
}
