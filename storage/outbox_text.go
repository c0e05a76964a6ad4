package storage

import (
	"strings"
	"unicode/utf8"
)

// storableText is s as a text column of both databases keeps it: valid
// UTF-8 without NUL bytes, each byte that is not (and each NUL) replaced
// by U+FFFD. PostgreSQL refuses such text ("invalid byte sequence for
// encoding UTF8"), and an outcome's cause quotes what a platform or a
// webhook endpoint answered byte for byte (a Latin-1 error page, a body
// cut in the middle of a character): refused, the outcome would never be
// recorded, and its message would be sent again at every lease, never
// given up.
func storableText(s string) string {
	if utf8.ValidString(s) && !strings.ContainsRune(s, 0) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}
