package bot

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// ellipsis ends a text that was cut.
const ellipsis = "…"

// Cut shortens Message text s to at most n characters (code points),
// ending with "…" when it is cut. It cuts only between whole units of
// the text: never inside an entity (&amp;), a mention (<@U123>) or a
// character a reader sees as one but that is written as several code
// points (an accent written apart, a flag, an emoji with a skin tone or
// joined by zero-width joiners). A *bold* run left open by the cut is
// closed after the ellipsis. Renderers use it for every platform limit.
func Cut(s string, n int) string { return cut(s, n, true) }

// CutPlain shortens plain text s (no markup: headers, button labels) to at
// most n characters like Cut, between whole characters as a reader sees
// them.
func CutPlain(s string, n int) string { return cut(s, n, false) }

func cut(s string, n int, markup bool) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n < 1 {
		return ""
	}
	kept := prefix(s, n-1, markup)
	if markup && strings.Count(kept, "*")%2 == 1 {
		kept = prefix(s, n-2, markup)
		if strings.Count(kept, "*")%2 == 1 {
			return kept + ellipsis + "*"
		}
	}
	return kept + ellipsis
}

// prefix is the longest run of whole units at the start of s that holds at
// most n code points, without trailing white space.
func prefix(s string, n int, markup bool) string {
	end, used := 0, 0
	for end < len(s) {
		size := unitLen(s[end:], markup)
		runes := utf8.RuneCountInString(s[end : end+size])
		if used+runes > n {
			break
		}
		used += runes
		end += size
	}
	return strings.TrimRightFunc(s[:end], unicode.IsSpace)
}

// unitLen is the length in bytes of the unit s starts with: an entity or a
// mention of Message text (when markup), else one grapheme cluster.
func unitLen(s string, markup bool) int {
	if markup {
		if _, n := entityAt(s); n > 0 {
			return n
		}
		if strings.HasPrefix(s, "<@") {
			if j := strings.IndexByte(s, '>'); j > 0 {
				return j + 1
			}
		}
	}
	return graphemeLen(s)
}

// graphemeLen is the length in bytes of the user-perceived character s
// starts with, by the rules of Unicode's extended grapheme clusters that
// names and companies meet: combining marks, variation selectors, emoji
// modifiers and tags extend a character, a zero-width joiner joins the
// next one to it, two regional indicators make one flag, and CR LF is one
// line break.
func graphemeLen(s string) int {
	r, size := utf8.DecodeRuneInString(s)
	if r == '\r' && strings.HasPrefix(s[size:], "\n") {
		return size + 1
	}
	prev := r
	flag := isRegionalIndicator(r)
	for size < len(s) {
		next, n := utf8.DecodeRuneInString(s[size:])
		switch {
		case extendsCluster(next), prev == zwj && !unicode.IsSpace(next):
		case flag && isRegionalIndicator(next):
			flag = false // a pair is a flag: a third starts another
		default:
			return size
		}
		prev = next
		size += n
	}
	return size
}

const zwj = '\u200d'

// extendsCluster reports whether r belongs to the character before it.
func extendsCluster(r rune) bool {
	return r == zwj || unicode.In(r, unicode.Mn, unicode.Me, unicode.Mc) ||
		(r >= 0xfe00 && r <= 0xfe0f) || (r >= 0xe0100 && r <= 0xe01ef) || // variation selectors
		(r >= 0x1f3fb && r <= 0x1f3ff) || // emoji skin tones
		(r >= 0xe0020 && r <= 0xe007f) // tags (the flags of England, Scotland, Wales)
}

func isRegionalIndicator(r rune) bool { return r >= 0x1f1e6 && r <= 0x1f1ff }
