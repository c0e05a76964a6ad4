package bot

import "slices"

// FormNotSaved is the line under the notice that takes a refused form's
// place: what became of the form, and what to do.
const FormNotSaved = "Nothing was saved. Close this form; the lead's card shows where the lead stands now."

// FormRefused is the message shown in place of a submitted form that was
// refused when the form has no input to show why on (a Slack modal sent
// with its one optional input left empty): notice, which says why
// (ErrorNotice, or a platform's own words for a role it could not read),
// and FormNotSaved under it.
func FormRefused(notice Message) Message {
	notice.Context = append(slices.Clip(notice.Context), FormNotSaved)
	return notice
}
