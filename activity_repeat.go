package handoff

import "fmt"

// CheckRepeats compares activities about to be recorded for a lead with
// the lead's activities recorded under the same ids (recorded, by id). An
// id makes a repeat of its activity harmless: one of the same type and url
// is a repeat and adds nothing (its occurred_at is not compared: a sender
// that gives none sends the time it sent at). An id sent with another
// activity is an ECONFLICT error whose Fields name it ("[1].id"), so that
// the new activity is refused rather than dropped unseen.
func CheckRepeats(acts []Activity, recorded map[string]Activity) error {
	bad := map[string]string{}
	for i, a := range acts {
		was, ok := recorded[a.ID]
		if a.ID == "" || !ok || (was.Type == a.Type && was.URL == a.URL) {
			continue
		}
		bad[fmt.Sprintf("[%d].id", i)] = fmt.Sprintf("%q is the id of another activity of this lead (type %q, url %q): give this one an id of its own",
			a.ID, was.Type, was.URL)
	}
	if len(bad) == 0 {
		return nil
	}
	return &Error{Code: ECONFLICT, Message: "activity id taken: " + describeFields(bad), Fields: bad}
}
