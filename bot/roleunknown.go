package bot

import (
	"errors"
	"fmt"
	"log/slog"
)

// RoleUnknownError is the failure to tell what a user may do: their
// platform could not say whether they are in the sales channel or a sales
// manager (its API failed or did not answer: an error it marked with
// Unanswered). Nothing was done; each platform tells the user so in its
// own words, rather than failing the request, and they may try again. A
// failure of Handoff's own store or caches during the same lookup is no
// RoleUnknownError: it is an internal error, never blamed on the platform.
type RoleUnknownError struct {
	user string // the platform user id whose role is unknown
	err  error
}

func (e *RoleUnknownError) Error() string { return e.err.Error() }
func (e *RoleUnknownError) Unwrap() error { return e.err }

// roleUnknown wraps the failure of a lookup "is a …": a RoleUnknownError
// when the platform did not answer (IsUnanswered), else err wrapped as it
// is (the store failed on the way: an internal error).
func roleUnknown(format string, a Actor, err error) error {
	if !IsUnanswered(err) {
		return fmt.Errorf(format, a, err)
	}
	return &RoleUnknownError{user: a.UserID, err: fmt.Errorf(format, a, err)}
}

// Unanswered marks err as the platform's failure to answer (its API's
// error, timeout or throttling; a place it never told Handoff of), as
// opposed to a failure of Handoff's own store or caches on the way. A
// platform's SalesMembers and Managers mark their API failures so: only
// those make a RoleUnknownError (or bot.OwnerUnknown); anything else is
// an internal error. It returns nil for a nil err.
func Unanswered(err error) error {
	if err == nil || IsUnanswered(err) {
		return err
	}
	return &unansweredError{err: err}
}

// unansweredError is an error marked by Unanswered.
type unansweredError struct{ err error }

func (e *unansweredError) Error() string { return e.err.Error() }
func (e *unansweredError) Unwrap() error { return e.err }

// IsUnanswered reports whether err, or an error it wraps, was marked with
// Unanswered.
func IsUnanswered(err error) bool {
	var u *unansweredError
	return errors.As(err, &u)
}

// FailureLevel is the level a failure is logged at: slog.LevelWarn when
// the platform did not answer (IsUnanswered: its doing, which the user is
// asked to try again after), else slog.LevelError (Handoff's own store or
// code failed).
func FailureLevel(err error) slog.Level {
	if IsUnanswered(err) {
		return slog.LevelWarn
	}
	return slog.LevelError
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
