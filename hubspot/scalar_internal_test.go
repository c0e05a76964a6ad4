package hubspot

import (
	"encoding/json"
	"testing"
)

// TestScalarNumbers checks how numbers are rendered: integers exactly (also
// above 2^53 and beyond int64), other numbers as before.
func TestScalarNumbers(t *testing.T) {
	for in, want := range map[string]string{
		"82": "82", "-5": "-5", "-0": "0", "82.0": "82", "82.5": "82.5", "1e2": "100", "1.5e1": "15",
		"9007199254740993":      "9007199254740993",
		"9223372036854775807":   "9223372036854775807",
		"9223372036854775808":   "9223372036854775808",
		"123456789012345678901": "123456789012345678901",
	} {
		if got := scalar(json.Number(in)); got != want {
			t.Errorf("scalar(%s) = %q, want %q", in, got, want)
		}
	}
}
