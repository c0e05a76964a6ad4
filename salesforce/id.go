package salesforce

import (
	"fmt"
	"strings"
)

const idSuffixChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"

func isIDChar(r byte) bool {
	return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')
}

// ID18 returns the 18-character form of a Salesforce record id given in
// either form: the 15-character case-sensitive id with the 3-character
// suffix that encodes which of its letters are upper case. An 18-character
// id is case-insensitive, its suffix deciding the case of its letters, so
// one whose case was lost (written all in lower or upper case by a
// spreadsheet or a form) gives the record's own id, and a suffix in the
// wrong case the one canonical form. An 18-character id whose first 15
// characters keep both cases and disagree with its suffix is refused, as
// is one whose suffix fits no id.
func ID18(id string) (string, error) {
	id = strings.TrimSpace(id)
	if len(id) != 15 && len(id) != 18 || !isID(id) {
		return "", fmt.Errorf("%q is not a Salesforce id (15 or 18 letters and digits)", id)
	}
	if len(id) == 18 {
		if err := checkSuffix(id); err != nil {
			return "", err
		}
		id, _ = id15(id)
	}
	return id + suffix(id), nil
}

// suffix returns the 3 characters that encode which letters of a
// 15-character id are upper case.
func suffix(id15 string) string {
	out := make([]byte, 3)
	for chunk := 0; chunk < 3; chunk++ {
		bits := 0
		for i := 0; i < 5; i++ {
			if c := id15[chunk*5+i]; c >= 'A' && c <= 'Z' {
				bits |= 1 << i
			}
		}
		out[chunk] = idSuffixChars[bits]
	}
	return string(out)
}

// SameOrg reports whether two organisation ids, each in the 15- or
// 18-character form, name the same org: their case-correct 15-character
// forms are equal. A 15-character id is case-sensitive; an 18-character
// id's case is the one its suffix encodes. An id that is neither (or whose
// suffix fits no casing of its first 15 characters) is no org.
func SameOrg(a, b string) bool {
	a, okA := id15(a)
	b, okB := id15(b)
	return okA && okB && a == b
}

// CheckOrgID reports what is wrong with an org id as an admin gives it
// (SALESFORCE_ORG_ID), so a mistyped one is refused at start rather than
// refusing every Outbound Message: not 15 or 18 letters and digits; an
// 18-character id whose suffix fits no casing of its first 15 characters;
// or one whose first 15 characters still have their case (capitals and
// small letters both) while the suffix encodes another. An id written all
// in capitals or all in small letters has lost its case, which the suffix
// then gives.
func CheckOrgID(id string) error {
	trimmed := strings.TrimSpace(id)
	if len(trimmed) != 15 && len(trimmed) != 18 || !isID(trimmed) {
		return fmt.Errorf("%q is not a Salesforce id (15 or 18 letters and digits, e.g. 00D5g000004XyZq)", id)
	}
	if len(trimmed) == 18 {
		return checkSuffix(trimmed)
	}
	return nil
}

// checkSuffix reports an 18-character id whose suffix fits no casing of
// its first 15 characters, or fits one other than theirs when they keep
// both cases (a typo, not a lost case).
func checkSuffix(id string) error {
	fixed, ok := id15(id)
	switch {
	case !ok:
		return fmt.Errorf("%q: its last 3 characters fit no id of its first 15 (the suffix encodes which letters are capitals)", id)
	case hasBothCases(id[:15]) && fixed != id[:15]:
		return fmt.Errorf("%q: its last 3 characters encode the capitals of %s, not of its first 15 characters", id, fixed)
	}
	return nil
}

func isID(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isIDChar(s[i]) {
			return false
		}
	}
	return true
}

func hasBothCases(s string) bool {
	return strings.ToLower(s) != s && strings.ToUpper(s) != s
}

// id15 returns the case-correct 15-character form of a 15- or 18-character
// id: a 15-character id as given, an 18-character one with the case of its
// letters restored from its (case-insensitive) suffix. It reports false for
// anything else, or for a suffix that marks a digit as upper case or holds
// a character outside A-Z0-5.
func id15(id string) (string, bool) {
	id = strings.TrimSpace(id)
	if len(id) != 15 && len(id) != 18 || !isID(id) {
		return "", false
	}
	if len(id) == 15 {
		return id, true
	}
	base := []byte(id[:15])
	for chunk := 0; chunk < 3; chunk++ {
		bits := strings.IndexByte(idSuffixChars, upper(id[15+chunk]))
		if bits < 0 {
			return "", false
		}
		for i := 0; i < 5; i++ {
			c := &base[chunk*5+i]
			switch {
			case *c >= '0' && *c <= '9':
				if bits&(1<<i) != 0 {
					return "", false
				}
			case bits&(1<<i) != 0:
				*c = upper(*c)
			default:
				*c = lower(*c)
			}
		}
	}
	return string(base), true
}

func upper(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c - 'A' + 'a'
	}
	return c
}
