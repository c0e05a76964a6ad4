package slacktest

import (
	"fmt"
	"strings"
)

// FormRefusalLogged returns nil when log, the App's text log (slog's
// TextHandler), holds the refusal of a form as the App logs it, once over
// HTTP and Socket Mode alike: one info line "slack: form refused" naming
// form, code and user, or none when code is ""; and no other line saying
// that a request was refused (the same refusal logged again).
func FormRefusalLogged(log, form, code, user string) error {
	var refused, again []string
	for line := range strings.Lines(log) {
		switch {
		case strings.Contains(line, "slack: form refused"):
			refused = append(refused, strings.TrimSpace(line))
		case strings.Contains(line, "request refused"):
			again = append(again, strings.TrimSpace(line))
		}
	}
	switch {
	case len(again) > 0:
		return fmt.Errorf("slacktest: the refusal was logged again: %q", again)
	case code == "" && len(refused) > 0:
		return fmt.Errorf("slacktest: logged %q, want no refusal", refused)
	case code == "":
		return nil
	case len(refused) != 1:
		return fmt.Errorf("slacktest: logged %d refusals %q, want one", len(refused), refused)
	}
	for _, want := range []string{"level=INFO", "form=" + form, "code=" + code, "user=" + user} {
		if !strings.Contains(refused[0], want) {
			return fmt.Errorf("slacktest: the refusal logged %q does not say %s", refused[0], want)
		}
	}
	return nil
}

// OwnerUnknownAnswered returns nil when ack, the acknowledgement (HTTP or
// Socket Mode) of a Reassign form whose new owner Slack could not place,
// keeps the form open with an error on its owner input saying that the new
// owner could not be checked and nothing was saved, and log, the App's
// text log, holds one warning of it naming the form and owner.
func OwnerUnknownAnswered(ack []byte, log, owner string) error {
	a, err := ParseViewAnswer(ack)
	if err != nil {
		return err
	}
	if err := a.ErrorOn("owner", "could not check the new owner", "nothing was saved"); err != nil {
		return err
	}
	var warned []string
	for line := range strings.Lines(log) {
		if strings.Contains(line, "new owner may own leads is not known") {
			warned = append(warned, strings.TrimSpace(line))
		}
	}
	if len(warned) != 1 {
		return fmt.Errorf("slacktest: logged %d warnings of the new owner %q, want one", len(warned), warned)
	}
	for _, want := range []string{"level=WARN", "form=lead.reassign", "owner=" + owner, "err="} {
		if !strings.Contains(warned[0], want) {
			return fmt.Errorf("slacktest: the warning logged %q does not say %s", warned[0], want)
		}
	}
	return nil
}
