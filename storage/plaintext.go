package storage

import (
	"html"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// plainText is stored text s as a reader would see it, lower-cased: JSON's
// string escapes undone (\u00f6, \u0026, \", \\), twice, for a JSON text
// kept inside another, and then HTML's character references (&amp;,
// &#95;), which chat messages' text uses for the characters of its markup
// (bot.Escape writes an email's _ as &#95; and a company's & as &amp;). A
// search for a person's data in a payload (an erasure's, FindText's) looks
// in plainText, so that it finds the data however the payload wrote it.
func plainText(s string) string {
	for range 2 {
		if !strings.Contains(s, `\`) {
			break
		}
		s = unescapeJSON(s)
	}
	if strings.Contains(s, "&") {
		s = html.UnescapeString(s)
	}
	return strings.ToLower(s)
}

// unescapeJSON replaces the escapes of JSON strings in s by the characters
// they stand for (a surrogate pair by its one character, as jsonReader.str
// reads them); a backslash that starts no escape is kept.
func unescapeJSON(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for k := 0; k < len(s); {
		c := s[k]
		if c != '\\' || k+1 == len(s) {
			b.WriteByte(c)
			k++
			continue
		}
		switch e := s[k+1]; e {
		case '"', '\\', '/':
			b.WriteByte(e)
		case 'b', 'f', 'n', 'r', 't':
			b.WriteByte(jsonControl[e])
		case 'u':
			r := hex4(s[k+2:])
			if r < 0 {
				b.WriteByte(c)
				k++
				continue
			}
			k += 6
			if utf16.IsSurrogate(r) && strings.HasPrefix(s[k:], `\u`) {
				if dec := utf16.DecodeRune(r, hex4(s[k+2:])); dec != utf8.RuneError {
					r = dec
					k += 6
				}
			}
			b.WriteRune(r)
			continue
		default:
			b.WriteByte(c)
			k++
			continue
		}
		k += 2
	}
	return b.String()
}

// jsonControl are the control characters of JSON's one-letter escapes.
var jsonControl = map[byte]byte{'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}
