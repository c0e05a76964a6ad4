package slacktest

import (
	"fmt"
	"strings"
)

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
