package csvimport

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// EncodingNames are the names LookupEncoding takes (`handoff import
// --encoding`), in the order to show them. CRM exports are UTF-8; a file
// saved again from Excel is in its code page ("CSV (Comma delimited)":
// Windows-1252 on Windows in Western Europe and the Americas, Mac Roman on
// a Mac) or in UTF-16 ("Unicode Text", with a byte order mark).
var EncodingNames = []string{"utf-8", "windows-1252", "iso-8859-1", "iso-8859-15", "macintosh", "utf-16", "utf-16be"}

// encodings maps the names of EncodingNames, and a few common spellings,
// to their decoders. ISO 8859-1 is read as Windows-1252, as browsers do
// (WHATWG): the two differ only in bytes 0x80-0x9F, control characters in
// ISO 8859-1 that no lead may hold, and € ‘ ’ “ ” … in Windows-1252, which
// is what a file labelled Latin-1 means by them. UTF-16 is little-endian,
// as Windows writes it, unless a byte order mark says otherwise.
var encodings = map[string]encoding.Encoding{
	"utf-8": unicode.UTF8, "utf8": unicode.UTF8,
	"windows-1252": charmap.Windows1252, "cp1252": charmap.Windows1252,
	"iso-8859-1": charmap.Windows1252, "latin1": charmap.Windows1252, "latin-1": charmap.Windows1252,
	"iso-8859-15": charmap.ISO8859_15, "latin9": charmap.ISO8859_15, "latin-9": charmap.ISO8859_15,
	"macintosh": charmap.Macintosh, "mac-roman": charmap.Macintosh, "macroman": charmap.Macintosh,
	"utf-16": unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), "utf16": unicode.UTF16(unicode.LittleEndian, unicode.UseBOM),
	"utf-16le": unicode.UTF16(unicode.LittleEndian, unicode.UseBOM),
	"utf-16be": unicode.UTF16(unicode.BigEndian, unicode.UseBOM),
}

// LookupEncoding returns the encoding a name of EncodingNames (or a common
// spelling of one: cp1252, latin1, utf8, …; any case) stands for.
func LookupEncoding(name string) (encoding.Encoding, error) {
	if enc, ok := encodings[strings.ToLower(strings.TrimSpace(name))]; ok {
		return enc, nil
	}
	return nil, fmt.Errorf("unknown encoding %q: want one of %s", name, strings.Join(EncodingNames, ", "))
}

// EncodingError is the first line that is not valid UTF-8 in an import
// that reads UTF-8 (Importer.Encoding nil or UTF-8): the file is in another
// encoding, most likely Windows-1252. The import stops there, before the
// batch that would hold the line is saved, whether or not the line is
// valid CSV (a bare quote does not make it a rejected row). It is also a
// header holding NUL bytes, whatever the encoding: UTF-16 read as
// something else.
type EncodingError struct {
	Line int // the line of the first field that is not UTF-8
	// Column is its column's header; "" on the header line. On a line
	// that is not valid CSV either, it is the field the line's bytes
	// before the bad one make (a quote opens a field only at its start),
	// "" when they are over 64 KiB.
	Column string
	Byte   byte // the first byte that is not UTF-8
	From   int  // the first line not saved: the stop's batch's
	// UTF16 says the header holds NUL bytes: the file looks like UTF-16
	// without a byte order mark (Line is 1, Byte 0).
	UTF16 bool
}

func (e *EncodingError) Error() string {
	if e.UTF16 {
		return "csvimport: the header holds NUL bytes: UTF-16 without a byte order mark?"
	}
	where := fmt.Sprintf("line %d", e.Line)
	if e.Column != "" {
		where += fmt.Sprintf(", column %s", e.Column)
	} else if e.Line == 1 {
		where += " (the header)"
	}
	return fmt.Sprintf("csvimport: %s: not valid UTF-8 (byte 0x%02X)", where, e.Byte)
}

// text returns the text of the file br reads, decoded to UTF-8, and
// whether it is decoded (else it is the file's own bytes, to be checked as
// UTF-8). A byte order mark decides over enc: UTF-8's is dropped, UTF-16's
// (either byte order) has the file decoded from UTF-16.
func text(br *bufio.Reader, enc encoding.Encoding) (io.Reader, bool) {
	bom, _ := br.Peek(3)
	switch {
	case bytes.HasPrefix(bom, []byte{0xEF, 0xBB, 0xBF}):
		_, _ = br.Discard(3)
		return br, false
	case bytes.HasPrefix(bom, []byte{0xFF, 0xFE}), bytes.HasPrefix(bom, []byte{0xFE, 0xFF}):
		// ExpectBOM reads the byte order from the mark and drops it.
		return transform.NewReader(br, unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder()), true
	case enc == nil || enc == unicode.UTF8:
		return br, false
	}
	return transform.NewReader(br, enc.NewDecoder()), true
}

// badUTF8 returns the index of the first field of rec that is not valid
// UTF-8, and its first bad byte, or -1.
func badUTF8(rec []string) (int, byte) {
	for i, f := range rec {
		if utf8.ValidString(f) {
			continue
		}
		for j := 0; j < len(f); {
			r, n := utf8.DecodeRuneInString(f[j:])
			if r == utf8.RuneError && n <= 1 {
				return i, f[j]
			}
			j += n
		}
	}
	return -1, 0
}
