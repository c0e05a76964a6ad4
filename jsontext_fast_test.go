package handoff

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestKeysSurelyDistinct(t *testing.T) {
	many := func(n int) string {
		keys := make([]string, n)
		for i := range keys {
			keys[i] = fmt.Sprintf(`"k%d":%d`, i, i)
		}
		return "{" + strings.Join(keys, ",") + "}"
	}
	for _, tc := range []struct {
		name, body string
		want       bool
	}{
		{"flat", `{"external_id":"x","name":"Ann","score":82}`, true},
		{"same key at two levels", `{"a":{"a":1},"b":[{"a":2},{"a":3}]}`, true},
		{"same key in sibling objects", `[{"type":"a"},{"type":"b"}]`, true},
		{"a value that looks like a key", `{"a":"b","b":"a, \"a\": 1"}`, true},
		{"braces and commas inside strings", `{"a":"{\"a\":1,","b":"}]"}`, true},
		{"no object", `"text"`, true},
		{"repeated", `{"a":1,"b":2,"a":3}`, false},
		{"repeated after a nested object", `{"a":{"x":1,"y":2},"a":3}`, false},
		{"repeated in the second element", `[{"type":"a"},{"type":"b","type":"c"}]`, false},
		{"escaped key, cannot tell", `{"a":1,"\u0061":2}`, false},
		{"escaped key that differs, still cannot tell", `{"a\"b":1}`, false},
		{"64 keys", many(64), true},
		{"65 keys, cannot tell", many(65), false},
		{"16 deep", strings.Repeat(`{"a":`, 16) + "1" + strings.Repeat("}", 16), true},
		{"17 deep, cannot tell", strings.Repeat(`{"a":`, 17) + "1" + strings.Repeat("}", 17), false},
		{"unterminated string", `{"a":"b`, false},
		{"unbalanced", `}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := keysSurelyDistinct([]byte(tc.body)); got != tc.want {
				t.Fatalf("keysSurelyDistinct(%s) = %v, want %v", tc.body, got, tc.want)
			}
		})
	}
}

// FuzzKeysSurelyDistinct checks that JSONProblem's quick answer never
// hides a problem its closer look finds in a JSON body.
func FuzzKeysSurelyDistinct(f *testing.F) {
	for _, s := range []string{
		`{"external_id":"x","name":"Ann","crm":{"tags":["a",{"b":1}]}}`,
		`{"a":1,"a":2}`, `{"a":1,"\u0061":2}`, `[{"a":1},{"a":2,"a":3}]`,
		`{"a":"\"a\":1","a":2}`, `{"":1,"":2}`, `{"a":{"a":{"a":1}},"b":1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if !json.Valid(body) || !utf8.Valid(body) || !keysSurelyDistinct(body) {
			return
		}
		if path, isKey, problem := jsonProblemAt(body); path != nil {
			t.Fatalf("keysSurelyDistinct(%q) = true, but the closer look found %q at %q (key %v)", body, problem, path, isKey)
		}
	})
}
