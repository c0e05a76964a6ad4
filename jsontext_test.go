package handoff_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/handoff/handoff"
)

func TestJSONProblem(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		path       []string
		isKey      bool
		problem    string
	}{
		{"valid", `{"name":"Æble","crm":{"a":1,"b":[{"a":2},{"a":3}]}}`, nil, false, ""},
		{"not JSON", "{\"a\xff", nil, false, ""},
		{"value", "{\"external_id\":\"x\",\"name\":\"A\xffB\"}", []string{"name"}, false, handoff.ProblemUTF8},
		{"key", "{\"external_id\":\"x\",\"u\xfftm\":1}", []string{"u\ufffdtm"}, true, handoff.ProblemUTF8},
		{"after nested", "{\"a\":{\"b\":[1,{}]},\"c\":\"\xc3\"}", []string{"c"}, false, handoff.ProblemUTF8},
		{"in list", "{\"crm\":{\"tags\":[\"ok\",{\"x\":2},\"\xe2\x82\"]}}", []string{"crm", "tags", "[2]"}, false, handoff.ProblemUTF8},
		{"array", "[{\"type\":\"a\"},{\"url\":\"\xff\"}]", []string{"[1]", "url"}, false, handoff.ProblemUTF8},
		{"bare string", "\"\xff\"", []string{}, false, handoff.ProblemUTF8},
		{"duplicate", `{"external_id":"a","stage":"won","external_id":"b"}`, []string{"external_id"}, true, handoff.ProblemDuplicate},
		{"duplicate nested", `{"crm":{"a":1,"b":{"a":2},"a":3}}`, []string{"crm", "a"}, true, handoff.ProblemDuplicate},
		{"duplicate in an array", `[{"type":"a"},{"type":"b","type":"c"}]`, []string{"[1]", "type"}, true, handoff.ProblemDuplicate},
		{"deep", strings.Repeat(`{"a":`, 500) + `"x"` + strings.Repeat("}", 500), nil, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path, isKey, problem := handoff.JSONProblem([]byte(tc.body))
			if !slices.Equal(path, tc.path) || isKey != tc.isKey || problem != tc.problem || (path == nil) != (tc.path == nil) {
				t.Fatalf("JSONProblem = %q, %v, %q; want %q, %v, %q", path, isKey, problem, tc.path, tc.isKey, tc.problem)
			}
		})
	}
}

func BenchmarkJSONProblem(b *testing.B) {
	body := []byte(`{"external_id":"hs-1001","name":"Ann Berg","email":"ann@berg.dk","company":"Berg ApS","title":"IT-chef","score":82,"utm_source":"google"}`)
	b.ReportAllocs()
	for b.Loop() {
		if p, _, _ := handoff.JSONProblem(body); p != nil {
			b.Fatal(p)
		}
	}
}

func TestOnlySpaceAfter(t *testing.T) {
	for _, tc := range []struct {
		body string
		want bool
	}{
		{`{"a":1}`, true},
		{"{\"a\":1} \r\n\t", true},
		{`[1,2]`, true},
		{`{"a":1}{"b":2}`, false},
		{`{"a":1}}`, false},
		{`{"a":1}]`, false},
		{"{\"a\":1}}, \"b\": \"\xff\"}", false},
		{`{"a":1} x`, false},
		{"{\"a\":1}\u00a0", false}, // not JSON whitespace
	} {
		dec := json.NewDecoder(bytes.NewReader([]byte(tc.body)))
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("%q: %v", tc.body, err)
		}
		if got := handoff.OnlySpaceAfter(dec, []byte(tc.body)); got != tc.want {
			t.Errorf("OnlySpaceAfter(%q) = %v, want %v", tc.body, got, tc.want)
		}
	}
}
