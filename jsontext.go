package handoff

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// InvalidUTF8 returns the path to the first key or string of the JSON
// body that is not valid UTF-8 ("name"; "[2]", "url"; "crm", "tags", "[1]"),
// and whether that is a key (the path then ends with the key as decoded),
// or nil when body is valid UTF-8 or not JSON. encoding/json replaces such
// bytes with U+FFFD without a word, so a sender's text would be stored
// changed; CheckText's UTF-8 rule needs the raw body to see them.
func InvalidUTF8(body []byte) (path []string, isKey bool) {
	if utf8.Valid(body) {
		return nil, false
	}
	type frame struct {
		object  bool
		key     string
		index   int
		wantKey bool
	}
	var stack []frame
	at := func() []string {
		p := make([]string, len(stack))
		for i, f := range stack {
			if f.object {
				p[i] = f.key
			} else {
				p[i] = "[" + strconv.Itoa(f.index) + "]"
			}
		}
		return p
	}
	// valueEnded marks the enclosing object as waiting for its next key.
	valueEnded := func() {
		if n := len(stack); n > 0 && stack[n-1].object {
			stack[n-1].wantKey = true
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	for {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return nil, false
		}
		raw := body[start:dec.InputOffset()]
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			valueEnded()
			continue
		}
		if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].wantKey {
			stack[n-1].key, _ = tok.(string)
			stack[n-1].wantKey = false
			if !utf8.Valid(raw) {
				return at(), true
			}
			continue
		}
		if n := len(stack); n > 0 && !stack[n-1].object {
			stack[n-1].index++
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, frame{object: true, wantKey: true})
			continue
		case json.Delim('['):
			stack = append(stack, frame{index: -1})
			continue
		}
		if _, ok := tok.(string); ok && !utf8.Valid(raw) {
			return at(), false
		}
		valueEnded()
	}
}
