package teams

import (
	"log/slog"

	"github.com/handoff/handoff/bot"
)

// formFailure is how an Action.Submit click answers err, the failure to
// send the form it opened to the user's chat with the bot
// (Platform.SendCard): the level it is logged at and what its user is
// told, in that chat. Microsoft refusing the bot's credentials
// (credentialsRefused) is an error only an admin can mend:
// bot.FormAccessRefused asks the user to tell their Teams admin. So is a
// Teams admin having blocked the app (appBlocked: BotDisabledByAdmin, its
// fix in the error), told apart, bot.FormAppBlocked, since the
// credentials are fine and the admin has only to allow the app. The Bot
// Connector or the token endpoint not answering (an outage, a rate limit,
// no answer within TEAMS_TIMEOUT: bot.IsUnanswered, and no refusal) is a
// warning, Teams' doing: bot.FormUnanswered. Anything else (a form or
// chat the Bot Connector refused, bot.Permanent; Handoff's store) is an
// error: bot.FormNotOpened.
func formFailure(err error) (level slog.Level, notice string) {
	switch {
	case credentialsRefused(err):
		return slog.LevelError, bot.FormAccessRefused(Name)
	case appBlocked(err):
		return slog.LevelError, bot.FormAppBlocked(Name)
	case bot.IsUnanswered(err) && !bot.IsPermanent(err):
		return slog.LevelWarn, bot.FormUnanswered(Name)
	}
	return slog.LevelError, bot.FormNotOpened
}
