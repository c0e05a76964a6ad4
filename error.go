package handoff

import (
	"errors"
	"fmt"
)

// Error codes shared by every layer; handlers map them to HTTP statuses in one place.
const (
	EINVALID      = "invalid"      // the input is malformed; Fields names what
	ENOTFOUND     = "not_found"    // the thing asked for does not exist
	ECONFLICT     = "conflict"     // the request contradicts the current state
	EUNAUTHORIZED = "unauthorized" // the caller is not who they claim
	EFORBIDDEN    = "forbidden"    // the caller may not do this
	EINTERNAL     = "internal"     // anything else
)

// Error is a domain error with a code, a human message and, for EINVALID,
// the offending fields.
type Error struct {
	Code    string
	Message string
	Fields  map[string]string
}

// Error returns the message.
func (e *Error) Error() string { return e.Message }

// Errorf returns a domain error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first domain error in err's chain, or
// EINTERNAL when there is none (and "" for a nil err).
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of the first domain error in err's chain,
// or "internal error" so that internals never leak to callers.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// ErrorFields returns the field errors of the first domain error in err's chain.
func ErrorFields(err error) map[string]string {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

// Invalid returns an EINVALID error for the bad fields (name → why), its
// message what followed by every field in name order.
func Invalid(what string, fields map[string]string) *Error {
	return &Error{Code: EINVALID, Message: what + ": " + describeFields(fields), Fields: fields}
}
