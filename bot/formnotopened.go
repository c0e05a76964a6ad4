package bot

// What a click's user is told, privately, when the platform (slack,
// teams) did not open the form the click asked for: the same words on
// every platform, with the platform's name in them. A platform's timing
// that only it has (Slack's trigger, good for 3 s and once) it words
// itself.

// FormNotOpened is the answer to a click whose form failed for any reason
// not worded apart (a form the platform refused): Handoff's own failure.
const FormNotOpened = "Sorry, the form could not be opened. Please try again."

// FormUnanswered is the answer to a click whose form the platform did not
// open because it did not answer (its outage, a rate limit, no answer
// within its timeout): nothing was done, and the user may try again soon.
func FormUnanswered(platform string) string {
	return "Sorry, Handoff could not open the form just now (" + platformTitle(platform) + " did not answer), so it did nothing. " +
		"Please try again in a minute."
}

// FormAccessRefused is the answer to a click whose form the platform did
// not open because it refused Handoff's credentials (Slack's bot token,
// Teams' app id and secret): only the platform's admin can mend that, and
// Handoff's log, at error level, says how.
func FormAccessRefused(platform string) string {
	name := platformTitle(platform)
	return "Sorry, Handoff could not open the form: " + name + " refused Handoff's access, so it did nothing. " +
		"Please tell your " + name + " admin; Handoff's log says what to fix."
}

// FormPlatformBusy is the answer to a click whose form the platform did
// not open because it takes no calls from apps while it is busy with a
// change its admins made (busy says which, in the platform's words: Slack
// moving a workspace into its Enterprise organization): nothing was done,
// nobody need mend anything, and the user may try again once the change
// is done.
func FormPlatformBusy(platform, busy string) string {
	return "Sorry, Handoff could not open the form: " + platformTitle(platform) + " is " + busy +
		" and takes no calls from apps until that is done, so Handoff did nothing. Please try again once it is done."
}

// FormAppBlocked is the answer to a click whose form the platform did not
// send because one of its admins has blocked the app (Teams' app
// permission policies: the Bot Connector's BotDisabledByAdmin): Handoff's
// credentials are fine, but only the platform's admin can allow the app
// again, and Handoff's log, at error level, says where.
func FormAppBlocked(platform string) string {
	name := platformTitle(platform)
	return "Sorry, Handoff could not open the form: a " + name + " admin has blocked the Handoff app, so it did nothing. " +
		"Please ask your " + name + " admin to allow it; Handoff's log says where."
}
