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
// id is returned with its own first 15 characters and a recomputed suffix,
// so a suffix in the wrong case still gives the one canonical form.
func ID18(id string) (string, error) {
	id = strings.TrimSpace(id)
	if len(id) != 15 && len(id) != 18 {
		return "", fmt.Errorf("%q is not a Salesforce id (15 or 18 letters and digits)", id)
	}
	for i := 0; i < len(id); i++ {
		if !isIDChar(id[i]) {
			return "", fmt.Errorf("%q is not a Salesforce id (15 or 18 letters and digits)", id)
		}
	}
	base := id[:15]
	suffix := make([]byte, 3)
	for chunk := 0; chunk < 3; chunk++ {
		bits := 0
		for i := 0; i < 5; i++ {
			if c := base[chunk*5+i]; c >= 'A' && c <= 'Z' {
				bits |= 1 << i
			}
		}
		suffix[chunk] = idSuffixChars[bits]
	}
	return base + string(suffix), nil
}

// SameOrg reports whether two organisation ids, each in the 15- or
// 18-character form, name the same org: their first 15 characters compared
// without regard to case.
func SameOrg(a, b string) bool {
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	if (len(a) != 15 && len(a) != 18) || (len(b) != 15 && len(b) != 18) {
		return false
	}
	return strings.EqualFold(a[:15], b[:15])
}
