package bot

import (
	"errors"
	"fmt"
)

// RoleUnknownError is the failure to tell what a user may do: their
// platform could not say whether they are in the sales channel or a sales
// manager (its API failed or did not answer). Nothing was done; each
// platform tells the user so in its own words, rather than failing the
// request, and they may try again.
type RoleUnknownError struct {
	user string // the platform user id whose role is unknown
	err  error
}

func (e *RoleUnknownError) Error() string { return e.err.Error() }
func (e *RoleUnknownError) Unwrap() error { return e.err }

// roleUnknown wraps the platform's failure to answer "is a …".
func roleUnknown(format string, a Actor, err error) error {
	return &RoleUnknownError{user: a.UserID, err: fmt.Errorf(format, a, err)}
}

// IsRoleUnknown reports whether err says a user's role could not be read.
func IsRoleUnknown(err error) bool {
	var unknown *RoleUnknownError
	return errors.As(err, &unknown)
}

// RoleUnknownUser returns the platform user id whose role err says could
// not be read (the user who acted, or another user the action names, such
// as a Reassign's new owner), or "" when err is no RoleUnknownError.
func RoleUnknownUser(err error) string {
	var unknown *RoleUnknownError
	if errors.As(err, &unknown) {
		return unknown.user
	}
	return ""
}

// OwnerUnknown is the answer on a Reassign form's owner input when the
// platform (slack, teams) could not say just then whether the new owner
// may own leads (its API failed, timed out or was throttled): nothing was
// saved, and the form can be sent again.
func OwnerUnknown(platform string) string {
	return "Sorry, Handoff could not check the new owner just now (" + platformTitle(platform) + " did not answer), so nothing was saved. " +
		"Please send the form again in a minute."
}
