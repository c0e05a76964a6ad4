package bot

import (
	"strings"

	"github.com/handoff/handoff"
)

// decodeFormState reads state, a Form's State as a platform sent it back,
// and returns what is wrong with it keyed by field (the name the
// platform gives the state) or, for a part of it, field+".lead" (not a
// positive id) or field+".channel" (not a chat id: handoff.CheckChatID);
// field alone when it is longer than handoff.MaxFormStateLen or not the
// JSON object Handoff made. The problems are nil when there are none.
// A signed Slack request carries whatever private_metadata the form was
// opened with, a modified Teams client whatever it likes.
func decodeFormState(field, state string) (formState, map[string]string) {
	if p := handoff.CheckLen(state, handoff.MaxFormStateLen); p != "" {
		return formState{}, map[string]string{field: p}
	}
	var st formState
	if err := decodeJSON(state, &st); err != nil {
		return formState{}, map[string]string{field: "not a form's state"}
	}
	bad := map[string]string{}
	if st.Lead <= 0 {
		bad[field+".lead"] = "not a lead id (a positive number)"
	}
	if p := handoff.CheckChatID(st.Channel); p != "" {
		bad[field+".channel"] = p
	}
	if len(bad) == 0 {
		return st, nil
	}
	return formState{}, bad
}

// isForm reports whether id is one of the forms Act opens and Submit
// completes: the one list of Handoff's forms.
func isForm(id string) bool {
	switch id {
	case ActionNotAFit, ActionWon, ActionLost, ActionRecycle, ActionReassign, ActionPass:
		return true
	}
	return false
}

// CheckFormID returns what is wrong with id, a Form's ID as a platform
// sent it back (a Slack view's callback_id, a Teams card's "form"):
// longer than handoff.MaxFormIDLen, or none of Handoff's forms; "" when
// it is one. Submit refuses such an id, and the platforms' edges first,
// before anything is asked or written.
func CheckFormID(id string) string {
	if isForm(id) {
		return ""
	}
	if p := handoff.CheckLen(id, handoff.MaxFormIDLen); p != "" {
		return p
	}
	return "not one of Handoff's forms"
}

// CheckFormState returns what is wrong with state, a Form's State as a
// platform sent it back under the name field (a Slack view's
// "view.private_metadata"), keyed by field or one of its parts (see
// decodeFormState), or nil when nothing is: for the platforms' edges to
// refuse it before anything else, with what Submit refuses.
func CheckFormState(field, state string) map[string]string {
	_, bad := decodeFormState(field, state)
	return bad
}

// StateRefused reports whether err is Submit's refusal of a form's state
// or id: not the user's doing (a forged or corrupted submission), to be
// answered as a bad request, never shown on the form.
func StateRefused(err error) bool {
	if handoff.ErrorCode(err) != handoff.EINVALID {
		return false
	}
	for k := range handoff.ErrorFields(err) {
		if k == "form" || k == "state" || strings.HasPrefix(k, "state.") {
			return true
		}
	}
	return false
}
