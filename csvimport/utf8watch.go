package csvimport

import (
	"bytes"
	"encoding/csv"
	"io"
	"slices"
	"unicode/utf8"
)

// maxWatchedLine bounds the bytes of a line utf8Watch keeps to name the
// column of a bad byte; a longer line's bad byte is named by line alone.
const maxWatchedLine = 64 << 10

// utf8Watch passes a file's bytes through unchanged and notes the first
// one that is not UTF-8: its offset and line, and the line's bytes before
// it. It finds a bad byte on a line the CSV reader cannot parse (a bare
// quote), whose fields the reader never returns.
type utf8Watch struct {
	r    io.Reader
	n    int64 // bytes passed on
	line int   // the line being passed on, from 1
	tail []byte
	long bool // tail is not kept: the line is longer than maxWatchedLine
	// cut is the start of a character the last Read's bytes ended with.
	cut  [utf8.UTFMax]byte
	ncut int

	// bad is the offset of the first byte that is not UTF-8, -1 while
	// there is none; badLine its line, badByte the byte, before the
	// line's bytes before it, unless the line was too long to keep them.
	bad     int64
	badLine int
	badByte byte
	before  []byte
	kept    bool
}

func newUTF8Watch(r io.Reader) *utf8Watch { return &utf8Watch{r: r, line: 1, bad: -1} }

func (w *utf8Watch) Read(p []byte) (int, error) {
	n, err := w.r.Read(p)
	if w.bad < 0 {
		w.check(p[:n], err != nil)
	}
	w.n += int64(n)
	return n, err
}

// check looks for the first bad byte in b, the next bytes passed on (the
// last ones when end is set), completing first a character the bytes
// before cut.
func (w *utf8Watch) check(b []byte, end bool) {
	i := 0
	for w.ncut > 0 && i < len(b) && !utf8.FullRune(w.cut[:w.ncut]) {
		w.cut[w.ncut] = b[i]
		w.ncut++
		i++
	}
	if w.ncut > 0 {
		if !utf8.FullRune(w.cut[:w.ncut]) && !end {
			w.track(b)
			return
		}
		if r, size := utf8.DecodeRune(w.cut[:w.ncut]); r == utf8.RuneError && size <= 1 {
			w.found(b, i-w.ncut, w.cut[0])
			return
		}
		w.ncut = 0
	}
	rest := b[i:]
	if !end {
		c := cutRune(rest)
		w.ncut = copy(w.cut[:], rest[c:])
		rest = rest[:c]
	}
	if !utf8.Valid(rest) {
		j := firstBad(rest)
		w.found(b, i+j, rest[j])
		return
	}
	w.track(b)
}

// track counts the lines of b, bytes passed on, and keeps the last one's
// bytes so far.
func (w *utf8Watch) track(b []byte) {
	w.line += bytes.Count(b, []byte{'\n'})
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		w.tail, w.long = append(w.tail[:0], b[i+1:]...), false
	} else if !w.long {
		w.tail = append(w.tail, b...)
	}
	if len(w.tail) > maxWatchedLine {
		w.tail, w.long = w.tail[:0], true
	}
}

// found notes the bad byte c at b[at]; at < 0 is a byte of the bytes
// before b (a cut character's first).
func (w *utf8Watch) found(b []byte, at int, c byte) {
	w.track(b[:max(at, 0)])
	w.bad, w.badLine, w.badByte = w.n+int64(at), w.line, c
	if w.kept = !w.long; w.kept {
		w.before = slices.Clone(w.tail[:len(w.tail)+min(at, 0)])
	}
}

// cutRune returns where a character cut by the end of b starts, or len(b).
func cutRune(b []byte) int {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				return i
			}
			break
		}
	}
	return len(b)
}

// firstBad returns the index of the first byte of b that is not UTF-8.
func firstBad(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return len(b)
}

// column returns the index of the field holding the bad byte, read from
// its line's bytes before it as CSV with lazy quotes (a quote opens a
// quoted field only at a field's start), or -1 when they were not kept.
func (w *utf8Watch) column(comma rune) int {
	if !w.kept {
		return -1
	}
	r := csv.NewReader(bytes.NewReader(append(w.before, 'x')))
	r.Comma, r.LazyQuotes, r.FieldsPerRecord = comma, true, -1
	rec, _ := r.Read()
	return len(rec) - 1
}
