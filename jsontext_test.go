package handoff_test

import (
	"slices"
	"testing"

	"github.com/handoff/handoff"
)

func TestInvalidUTF8(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		path       []string
		isKey      bool
	}{
		{"valid", `{"name":"Æble"}`, nil, false},
		{"not JSON", "{\"a\xff", nil, false},
		{"value", "{\"external_id\":\"x\",\"name\":\"A\xffB\"}", []string{"name"}, false},
		{"key", "{\"external_id\":\"x\",\"u\xfftm\":1}", []string{"u\ufffdtm"}, true},
		{"after nested", "{\"a\":{\"b\":[1,{}]},\"c\":\"\xc3\"}", []string{"c"}, false},
		{"in list", "{\"crm\":{\"tags\":[\"ok\",{\"x\":2},\"\xe2\x82\"]}}", []string{"crm", "tags", "[2]"}, false},
		{"array", "[{\"type\":\"a\"},{\"url\":\"\xff\"}]", []string{"[1]", "url"}, false},
		{"bare string", "\"\xff\"", []string{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path, isKey := handoff.InvalidUTF8([]byte(tc.body))
			if !slices.Equal(path, tc.path) || isKey != tc.isKey || (path == nil) != (tc.path == nil) {
				t.Fatalf("InvalidUTF8 = %q, %v; want %q, %v", path, isKey, tc.path, tc.isKey)
			}
		})
	}
}
