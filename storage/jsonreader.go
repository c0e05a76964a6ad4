package storage

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// The JSON reader the routing rollup decodes routed events with
// (rollup_routing_decode.go): it checks syntax and types as encoding/json
// does, without reflection, reading only the fields its caller asks for.

// jsonReader reads JSON text from s at i, checking its syntax as
// encoding/json does. Its methods start at a value, with no space before
// it, and return syntax errors; a value of another type than its field's
// is skipped and kept for typeError, after the whole text is read.
type jsonReader struct {
	s     string
	i     int
	depth int
	// mistyped is the first value of another type than its field's, and
	// badTime the first time that does not parse (encoding/json stops at
	// it, so it comes first).
	mistyped, badTime error
}

// structOf reads an object into a struct as encoding/json does: a key
// that is one of the struct's field names (case folded) is read by
// field(its index), any other key is skipped, and null leaves the struct.
// Another value is of another type than the struct, path (the field the
// struct is).
func (j *jsonReader) structOf(path string, names []string, field func(i int) error) error {
	if j.null() {
		return nil
	}
	if j.i < len(j.s) && j.s[j.i] != '{' {
		return j.mismatch(path, "object")
	}
	return j.object(func(key string) error {
		for i, name := range names {
			if strings.EqualFold(key, name) {
				return field(i)
			}
		}
		return j.skip()
	})
}

// maxJSONDepth is encoding/json's limit on nested objects and arrays.
const maxJSONDepth = 10000

// jsonTypeError is a value of another type than its field's.
type jsonTypeError struct {
	// field is the field's path, as encoding/json's UnmarshalTypeError
	// names it ("Candidates.Rep.ID"; a key of the details); "" for the
	// whole text.
	field string
	// value is the value's type as encoding/json names it ("number",
	// "number 1.5" for a number that is not an int64), want the field's.
	value, want string
}

func (e *jsonTypeError) Error() string {
	if e.field == "" {
		return fmt.Sprintf("cannot read %s as %s", e.value, e.want)
	}
	return fmt.Sprintf("field %s: cannot read %s as %s", e.field, e.value, e.want)
}

// typeError is the error of a text without syntax errors: as encoding/json
// reports it, the first time that does not parse, else the first other
// value of another type, else nil.
func (j *jsonReader) typeError() error {
	if j.badTime != nil {
		return j.badTime
	}
	return j.mistyped
}

// mistype keeps a value of another type for typeError.
func (j *jsonReader) mistype(field, value, want string) {
	if j.mistyped == nil {
		j.mistyped = &jsonTypeError{field: field, value: value, want: want}
	}
}

// mismatch skips a value that is not of the type want of field.
func (j *jsonReader) mismatch(field, want string) error {
	value := "number"
	if j.i < len(j.s) {
		switch j.s[j.i] {
		case '{':
			value = "object"
		case '[':
			value = "array"
		case '"':
			value = "string"
		case 't', 'f':
			value = "bool"
		}
	}
	if err := j.skip(); err != nil {
		return err
	}
	j.mistype(field, value, want)
	return nil
}

// zeroTimeJSON is the zero time.Time as encoding/json writes it, which an
// available candidate's Until is.
const zeroTimeJSON = `"0001-01-01T00:00:00Z"`

// time reads a time.Time as encoding/json does: it hands the value's text
// to Time.UnmarshalJSON (null leaves the time; any value but a string in
// RFC 3339 is refused).
func (j *jsonReader) time(field string) error {
	start := j.i
	if err := j.skip(); err != nil {
		return err
	}
	raw := j.s[start:j.i]
	if raw == zeroTimeJSON || raw == "null" || j.badTime != nil {
		return nil
	}
	var t time.Time
	if err := t.UnmarshalJSON([]byte(raw)); err != nil {
		j.badTime = fmt.Errorf("field %s: %w", field, err)
	}
	return nil
}

// boolean reads a bool (or null).
func (j *jsonReader) boolean(field string) error {
	switch {
	case j.null():
		return nil
	case j.i < len(j.s) && j.s[j.i] == 't':
		return j.literal("true")
	case j.i < len(j.s) && j.s[j.i] == 'f':
		return j.literal("false")
	}
	return j.mismatch(field, "bool")
}

// int64Map reads a map[string]int64 (or null): an object of whole numbers
// that fit an int64, or nulls.
func (j *jsonReader) int64Map(field string) error {
	if j.null() {
		return nil
	}
	if j.i < len(j.s) && j.s[j.i] != '{' {
		return j.mismatch(field, "map")
	}
	return j.object(func(string) error {
		if j.null() {
			return nil
		}
		if j.i >= len(j.s) || j.s[j.i] != '-' && (j.s[j.i] < '0' || '9' < j.s[j.i]) {
			return j.mismatch(field, "int64")
		}
		start := j.i
		if err := j.number(); err != nil {
			return err
		}
		if _, err := strconv.ParseInt(j.s[start:j.i], 10, 64); err != nil {
			j.mistype(field, "number "+j.s[start:j.i], "int64")
		}
		return nil
	})
}

func (j *jsonReader) syntaxError() error {
	if j.i >= len(j.s) {
		return errors.New("unexpected end of JSON input")
	}
	return fmt.Errorf("invalid character %q at offset %d", j.s[j.i], j.i)
}

// space skips white space.
func (j *jsonReader) space() {
	for j.i < len(j.s) {
		switch j.s[j.i] {
		case ' ', '\t', '\n', '\r':
			j.i++
		default:
			return
		}
	}
}

// end checks that nothing but space follows the value read.
func (j *jsonReader) end() error {
	j.space()
	if j.i < len(j.s) {
		return j.syntaxError()
	}
	return nil
}

// null reads the literal null if it is next.
func (j *jsonReader) null() bool {
	if strings.HasPrefix(j.s[j.i:], "null") {
		j.i += 4
		return true
	}
	return false
}

// literal reads the literal word.
func (j *jsonReader) literal(word string) error {
	for k := range len(word) {
		if j.i >= len(j.s) || j.s[j.i] != word[k] {
			return j.syntaxError()
		}
		j.i++
	}
	return nil
}

// object reads an object, calling field at each key to read its value.
func (j *jsonReader) object(field func(key string) error) error {
	return j.compound('{', '}', func() error {
		if j.i >= len(j.s) || j.s[j.i] != '"' {
			return j.syntaxError()
		}
		key, err := j.str()
		if err != nil {
			return err
		}
		j.space()
		if j.i >= len(j.s) || j.s[j.i] != ':' {
			return j.syntaxError()
		}
		j.i++
		j.space()
		return field(key)
	})
}

// array reads an array, calling elem to read each element.
func (j *jsonReader) array(elem func() error) error {
	return j.compound('[', ']', elem)
}

// compound reads an object or an array, between opening and closing,
// calling member to read each of its members.
func (j *jsonReader) compound(opening, closing byte, member func() error) error {
	if j.i >= len(j.s) || j.s[j.i] != opening {
		return j.syntaxError()
	}
	if j.depth++; j.depth > maxJSONDepth {
		return errors.New("exceeded max depth")
	}
	j.i++
	j.space()
	if j.i < len(j.s) && j.s[j.i] == closing {
		j.i++
		j.depth--
		return nil
	}
	for {
		if err := member(); err != nil {
			return err
		}
		j.space()
		if j.i >= len(j.s) {
			return j.syntaxError()
		}
		switch j.s[j.i] {
		case ',':
			j.i++
			j.space()
		case closing:
			j.i++
			j.depth--
			return nil
		default:
			return j.syntaxError()
		}
	}
}

// skip reads any value.
func (j *jsonReader) skip() error {
	if j.i >= len(j.s) {
		return j.syntaxError()
	}
	switch c := j.s[j.i]; {
	case c == '{':
		return j.object(func(string) error { return j.skip() })
	case c == '[':
		return j.array(j.skip)
	case c == '"':
		_, _, err := j.strEnd()
		return err
	case c == 't':
		return j.literal("true")
	case c == 'f':
		return j.literal("false")
	case c == 'n':
		return j.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		return j.number()
	}
	return j.syntaxError()
}

// number reads a number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (j *jsonReader) number() error {
	if j.s[j.i] == '-' {
		j.i++
	}
	digits := func() int {
		n := 0
		for j.i < len(j.s) && '0' <= j.s[j.i] && j.s[j.i] <= '9' {
			j.i++
			n++
		}
		return n
	}
	if j.i < len(j.s) && j.s[j.i] == '0' {
		j.i++
	} else if digits() == 0 {
		return j.syntaxError()
	}
	if j.i < len(j.s) && j.s[j.i] == '.' {
		j.i++
		if digits() == 0 {
			return j.syntaxError()
		}
	}
	if j.i < len(j.s) && (j.s[j.i] == 'e' || j.s[j.i] == 'E') {
		j.i++
		if j.i < len(j.s) && (j.s[j.i] == '+' || j.s[j.i] == '-') {
			j.i++
		}
		if digits() == 0 {
			return j.syntaxError()
		}
	}
	return nil
}

// stringInto reads a string into v (with v nil, checks it and drops it);
// null leaves v. Another value is of another type than field.
func (j *jsonReader) stringInto(v *string, field string) error {
	if j.null() {
		return nil
	}
	if j.i >= len(j.s) || j.s[j.i] != '"' {
		return j.mismatch(field, "string")
	}
	if v == nil {
		_, _, err := j.strEnd()
		return err
	}
	s, err := j.str()
	if err != nil {
		return err
	}
	*v = s
	return nil
}

// plain is the length of the run of s that a string copies as it is: up
// to a quote, a backslash, a control character or a byte not of ASCII.
func plain(s string) int {
	for k := 0; k < len(s); k++ {
		if c := s[k]; c == '"' || c == '\\' || c < ' ' || c >= utf8.RuneSelf {
			return k
		}
	}
	return len(s)
}

// strEnd checks the string at i and moves past it. It returns where its
// text ends and whether that text needs no unquoting (no escapes, valid
// UTF-8).
func (j *jsonReader) strEnd() (end int, verbatim bool, err error) {
	verbatim = true
	k := j.i + 1
	for {
		k += plain(j.s[k:])
		if k >= len(j.s) {
			j.i = len(j.s)
			return 0, false, j.syntaxError()
		}
		switch c := j.s[k]; {
		case c == '"':
			j.i = k + 1
			return k, verbatim, nil
		case c < ' ':
			j.i = k
			return 0, false, j.syntaxError()
		case c == '\\':
			verbatim = false
			if k+1 >= len(j.s) {
				j.i = len(j.s)
				return 0, false, j.syntaxError()
			}
			switch j.s[k+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				k += 2
			case 'u':
				for h := k + 2; h < k+6; h++ {
					if h >= len(j.s) || !isHex(j.s[h]) {
						j.i = h
						return 0, false, j.syntaxError()
					}
				}
				k += 6
			default:
				j.i = k + 1
				return 0, false, j.syntaxError()
			}
		default:
			r, size := utf8.DecodeRuneInString(j.s[k:])
			if r == utf8.RuneError && size == 1 {
				verbatim = false
			}
			k += size
		}
	}
}

// str reads a string as encoding/json unquotes it: a string without escapes
// and of valid UTF-8 is a substring of the text; invalid UTF-8 becomes
// U+FFFD a byte, as does a lone surrogate escape.
func (j *jsonReader) str() (string, error) {
	start := j.i + 1
	end, verbatim, err := j.strEnd()
	if err != nil {
		return "", err
	}
	if verbatim {
		return j.s[start:end], nil
	}
	s := j.s[start:end] // checked: every escape is whole
	var b strings.Builder
	b.Grow(len(s))
	for k := 0; k < len(s); {
		n := plain(s[k:])
		b.WriteString(s[k : k+n])
		if k += n; k >= len(s) {
			break
		}
		switch c := s[k]; {
		case c == '\\':
			switch e := s[k+1]; e {
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'u':
				r := hex4(s[k+2:])
				k += 6
				if utf16.IsSurrogate(r) {
					if strings.HasPrefix(s[k:], `\u`) {
						if dec := utf16.DecodeRune(r, hex4(s[k+2:])); dec != utf8.RuneError {
							b.WriteRune(dec)
							k += 6
							continue
						}
					}
					r = utf8.RuneError
				}
				b.WriteRune(r)
				continue
			default: // " \ /
				b.WriteByte(e)
			}
			k += 2
		default: // not ASCII: invalid UTF-8 becomes U+FFFD
			r, size := utf8.DecodeRuneInString(s[k:])
			b.WriteRune(r)
			k += size
		}
	}
	return b.String(), nil
}

// hex4 is the value of the four hex digits that s starts with, or -1.
func hex4(s string) rune {
	if len(s) < 4 {
		return -1
	}
	var r rune
	for _, c := range []byte(s[:4]) {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
