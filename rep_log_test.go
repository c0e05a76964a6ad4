package handoff_test

import (
	"testing"

	"github.com/handoff/handoff"
)

func TestRepLogKey(t *testing.T) {
	for _, tc := range []struct{ key, want string }{
		{"slack:U0123ABC", "slack:U0123ABC"},
		{"teams:29:1abcDEF", "teams:29:1abcDEF"},
		{"teams:0f3c9a2e-5b7d-4e1a-9c3b-2d8e7f6a1b0c", "teams:0f3c9a2e-5b7d-4e1a-9c3b-2d8e7f6a1b0c"},
		{"teams:ann.berg@example.com", "teams:(email)"},
		{"teams:Ann@Berg.DK", "teams:(email)"},
		{"ann@berg.dk", "(email)"},
		{"ann@berg.dk:x", "(email)"},
		{"", ""},
	} {
		if got := handoff.RepLogKey(tc.key); got != tc.want {
			t.Errorf("RepLogKey(%q) = %q, want %q", tc.key, got, tc.want)
		}
	}
}
