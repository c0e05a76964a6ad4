package handoff

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// What JSONProblem reports.
const (
	ProblemUTF8      = "not valid UTF-8"
	ProblemDuplicate = "given more than once"
)

// JSONProblem returns the first problem of a JSON body that encoding/json
// decodes without a word: text that is not valid UTF-8 (it becomes U+FFFD,
// so the sender's text would be stored changed) or a key repeated in one
// object (only the last is kept, so the other value would be lost). It
// returns the path to it ("name"; "[2]", "url"; "crm", "tags", "[1]"),
// whether that is a key (the path then ends with the key as decoded), and
// the problem, ProblemUTF8 or ProblemDuplicate; nil when there is none or
// body is not JSON.
func JSONProblem(body []byte) (path []string, isKey bool, problem string) {
	if !bytes.ContainsRune(body, '{') && utf8.Valid(body) {
		return nil, false, "" // no object, so no key to repeat
	}
	type frame struct {
		object  bool
		key     string
		index   int
		wantKey bool
		seen    map[string]bool
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
			return nil, false, ""
		}
		raw := body[start:dec.InputOffset()]
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			valueEnded()
			continue
		}
		if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].wantKey {
			top := &stack[n-1]
			top.key, _ = tok.(string)
			top.wantKey = false
			if !utf8.Valid(raw) {
				return at(), true, ProblemUTF8
			}
			if top.seen[top.key] {
				return at(), true, ProblemDuplicate
			}
			if top.seen == nil {
				top.seen = map[string]bool{}
			}
			top.seen[top.key] = true
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
			return at(), false, ProblemUTF8
		}
		valueEnded()
	}
}
