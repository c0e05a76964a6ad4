package bot

import (
	"fmt"
	"strings"

	"github.com/handoff/handoff"
)

// TypedChoice is the answer to an InputChoice whose options a platform
// could not all show (a Slack menu holds 100): the menu's last option,
// picked to give instead the choice typed into the text input
// TypedInput(id) that the platform adds under it.
const TypedChoice = "handoff:typed"

// TypedInput is the id of the text input a platform adds under the
// InputChoice id when it cuts its options, for one it could not show.
func TypedInput(id string) string { return id + "_typed" }

// NotListed is the text of the option TypedChoice.
const NotListed = "Not listed (type it below)"

// NotListedHint is the line a platform shows under a list of choices it
// cut short, every platform alike: how many choices it leaves out, why
// (the platform's limit), and how to give one of them.
func NotListedHint(left int, why string) string {
	return fmt.Sprintf("%s not in the list (%s): pick *Not listed* and type yours in the box below.",
		Count(left, "more choice is", "more choices are"), why)
}

// TypedLabel is the label of the text input TypedInput.
const TypedLabel = "Not in the list? Type it here"

// pickedReason returns the reason of the agreement's list that a form's
// values (keyed by input id) give, as the list spells it: the one picked
// in the input "reason", or, when TypedChoice was picked, the one typed
// into TypedInput("reason"), matched ignoring case and surrounding
// space. Anything else is EINVALID with a field error on the input to
// correct.
func pickedReason(list []string, values map[string]string) (string, error) {
	answer, field := strings.TrimSpace(values["reason"]), "reason"
	if answer == TypedChoice {
		answer, field = strings.TrimSpace(values[TypedInput("reason")]), TypedInput("reason")
	}
	for _, r := range list {
		if strings.EqualFold(r, answer) {
			return r, nil
		}
	}
	msg := "Pick a reason from the list."
	switch {
	case field == "reason":
	case answer == "":
		msg = "Type the reason here, or pick one from the list."
	default:
		msg = "This is not one of the agreement's reasons: type it as the agreement lists it."
	}
	return "", &handoff.Error{Code: handoff.EINVALID, Message: "pick a reason", Fields: map[string]string{field: msg}}
}
