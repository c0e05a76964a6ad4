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

// OnlySpaceAfter reports whether nothing but JSON whitespace follows the
// value dec has just decoded from body. json.Decoder.More alone does not
// tell: it is false before a '}' or ']', so `{…}}` and any bytes after it
// (text that is not UTF-8 included) would pass as one value.
func OnlySpaceAfter(dec *json.Decoder, body []byte) bool {
	off := dec.InputOffset()
	return off <= int64(len(body)) && len(bytes.Trim(body[off:], " \t\r\n")) == 0
}

// JSONProblem returns the first problem of a JSON body that encoding/json
// decodes without a word: text that is not valid UTF-8 (it becomes U+FFFD,
// so the sender's text would be stored changed) or a key repeated in one
// object (only the last is kept, so the other value would be lost). It
// returns the path to it ("name"; "[2]", "url"; "crm", "tags", "[1]"),
// whether that is a key (the path then ends with the key as decoded), and
// the problem, ProblemUTF8 or ProblemDuplicate; nil when there is none or
// body is not JSON.
//
// Every intake request passes through it, so a body of valid UTF-8 whose
// keys are plainly distinct (keysSurelyDistinct) is answered without a
// closer look; only the others are walked token by token.
func JSONProblem(body []byte) (path []string, isKey bool, problem string) {
	if utf8.Valid(body) && keysSurelyDistinct(body) {
		return nil, false, ""
	}
	return jsonProblemAt(body)
}

// jsonProblemAt is JSONProblem's closer look: it walks body token by token
// and returns the path to the first problem.
func jsonProblemAt(body []byte) (path []string, isKey bool, problem string) {
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

// keysSurelyDistinct reports whether body, a JSON text, surely repeats no
// key within an object, comparing the keys as written, without allocating.
// It answers false when a key repeats and whenever it cannot tell cheaply: a
// key with an escape, more than 64 keys in the open objects, nesting deeper
// than 16, or text that is not JSON. JSONProblem then looks closer.
func keysSurelyDistinct(body []byte) bool {
	var keys [64][2]int // where the keys of the open objects are in body
	var first [16]int   // each open container's first key in keys; -1 for an array
	nkeys, depth, wantKey := 0, 0, false
	for i := 0; i < len(body); i++ {
		switch body[i] {
		case '{', '[':
			if depth == len(first) {
				return false
			}
			first[depth], wantKey = -1, body[i] == '{'
			if wantKey {
				first[depth] = nkeys
			}
			depth++
		case '}', ']':
			if depth == 0 {
				return false
			}
			depth--
			if first[depth] >= 0 {
				nkeys = first[depth]
			}
			wantKey = false
		case ',':
			wantKey = depth > 0 && first[depth-1] >= 0
		case '"':
			end := i + 1
			for end < len(body) && body[end] != '"' {
				if body[end] == '\\' {
					if wantKey {
						return false
					}
					end++
				}
				end++
			}
			if end >= len(body) {
				return false
			}
			if wantKey {
				key := body[i+1 : end]
				for _, k := range keys[first[depth-1]:nkeys] {
					if bytes.Equal(body[k[0]:k[1]], key) {
						return false
					}
				}
				if nkeys == len(keys) {
					return false
				}
				keys[nkeys] = [2]int{i + 1, end}
				nkeys++
				wantKey = false
			}
			i = end
		}
	}
	return true
}
