package handoff

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"
)

// Bounds of an error as an answer carries it to a caller, who can send as
// many bad fields as a body holds keys (a megabyte of unknown ones, a
// thousand activities, ten thousand HubSpot events).
const (
	MaxNamedFields  = 10   // fields named by name
	MaxFieldName    = 64   // bytes of a named field's name
	MaxFieldReason  = 500  // bytes of a named field's reason
	MaxErrorMessage = 2000 // bytes of the message, before how many fields it has
)

// Bounded returns err's message and fields (ErrorMessage, ErrorFields) as
// an answer carries them, a few KiB however many fields err names: the
// first MaxNamedFields fields by name, each name cut to MaxFieldName bytes
// and each reason to MaxFieldReason, and the message, which lists them
// too, cut to MaxErrorMessage bytes and then saying how many fields there
// are when some were left out. An err within the bounds is returned as it
// is.
func Bounded(err error) (msg string, fields map[string]string) {
	msg, fields = ErrorMessage(err), ErrorFields(err)
	if len(fields) <= MaxNamedFields && len(msg) <= MaxErrorMessage {
		return msg, fields
	}
	msg = CutBytes(msg, MaxErrorMessage)
	if len(fields) > MaxNamedFields {
		msg += fmt.Sprintf(" (%d fields, the first %d by name named in fields)", len(fields), MaxNamedFields)
	}
	var named map[string]string
	for _, k := range slices.Sorted(maps.Keys(fields))[:min(len(fields), MaxNamedFields)] {
		if named == nil {
			named = make(map[string]string, MaxNamedFields)
		}
		named[CutBytes(k, MaxFieldName)] = CutBytes(fields[k], MaxFieldReason)
	}
	return msg, named
}

// FirstOf lists the first MaxNamedFields of ids, each cut to
// MaxFieldName bytes, and how many more there are ("1, 2, … and 40
// more"), so that an answer naming what failed stays a few KiB however
// many records a body holds.
func FirstOf(ids []string) string {
	named := make([]string, 0, min(len(ids), MaxNamedFields))
	for _, id := range ids[:min(len(ids), MaxNamedFields)] {
		named = append(named, CutBytes(id, MaxFieldName))
	}
	if len(ids) <= MaxNamedFields {
		return strings.Join(named, ", ")
	}
	return fmt.Sprintf("%s … and %d more", strings.Join(named, ", "), len(ids)-MaxNamedFields)
}

// CutBytes is s, made valid UTF-8, cut to at most n bytes between
// characters, with "…" (within the n) when it was cut.
func CutBytes(s string, n int) string {
	s = strings.ToValidUTF8(s, "\ufffd")
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
