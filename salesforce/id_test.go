package salesforce_test

import (
	"testing"

	"github.com/handoff/handoff/salesforce"
)

func TestID18(t *testing.T) {
	tests := []struct{ in, want string }{
		// Suffixes worked out by hand from Salesforce's published rule: per
		// 5-character chunk, a bit for each upper-case letter, indexing
		// A-Z0-5.
		{"0015000000Gv7qJ", "0015000000Gv7qJAAR"},
		{"00Q5g00000ABCDe", "00Q5g00000ABCDeEAP"},
		{"00Q5g00000ABCDeEAP", "00Q5g00000ABCDeEAP"},
		{"00Q5g00000ABCDeeap", "00Q5g00000ABCDeEAP"},
		{"001000000000000", "001000000000000AAA"},
		{"00D000000000062", "00D000000000062EAA"},
	}
	for _, tt := range tests {
		got, err := salesforce.ID18(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ID18(%q) = %q, %v, want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "00Q5g00000ABCD", "00Q5g00000ABCDe-", "00Q5g00000ABCDeEAPX"} {
		if _, err := salesforce.ID18(bad); err == nil {
			t.Errorf("ID18(%q) accepted", bad)
		}
	}
}

func TestSameOrg(t *testing.T) {
	if !salesforce.SameOrg("00D5g000004XyZq", "00D5g000004XyZqEAK") || !salesforce.SameOrg("00d5g000004xyzqeak", "00D5g000004XyZq") {
		t.Error("the 15- and 18-character forms of one org differ")
	}
	if salesforce.SameOrg("00D5g000004XyZq", "00D5g000004XyZr") || salesforce.SameOrg("00D5g000004XyZq", "") {
		t.Error("different orgs are the same")
	}
}
