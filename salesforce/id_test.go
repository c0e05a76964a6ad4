package salesforce_test

import (
	"strings"
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
		// An 18-character id is case-insensitive: written all in one case
		// (its case lost), the suffix gives the record's own id.
		{"00q5g00000abcdeeap", "00Q5g00000ABCDeEAP"},
		{"00Q5G00000ABCDEEAP", "00Q5g00000ABCDeEAP"},
		{"0015000000gv7qjaar", "0015000000Gv7qJAAR"},
	}
	for _, tt := range tests {
		got, err := salesforce.ID18(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ID18(%q) = %q, %v, want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "00Q5g00000ABCD", "00Q5g00000ABCDe-", "00Q5g00000ABCDeEAPX",
		"00Q5g00000ABCDeAAA", // its capitals and its suffix disagree: a typo
		"00Q5g00000ABCDe999", // a suffix outside A-Z0-5
	} {
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

func TestCheckOrgID(t *testing.T) {
	tests := []struct {
		id   string
		want string // part of the error; "" accepts
	}{
		{"00D5g000004XyZq", ""},
		{"00D5g000004XyZqEAK", ""},
		{" 00D5g000004XyZqEAK ", ""},
		{"00d5g000004xyzqeak", ""}, // case lost, the suffix gives it
		{"00D5G000004XYZQEAK", ""},
		{"00D5g000004XyZqEAA", "encode the capitals of 00D5g000004xyzq"}, // a typo in the suffix
		{"00D5g000004XyZqBAK", "fit no id"},                              // marks a digit as a capital
		{"00D5g000004XyZq999", "fit no id"},                              // outside A-Z0-5
		{"00D-not-an-id", "is not a Salesforce id"},
		{"00D5g000004XyZqEA", "is not a Salesforce id"},
	}
	for _, tt := range tests {
		err := salesforce.CheckOrgID(tt.id)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("CheckOrgID(%q) = %v, want nil", tt.id, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("CheckOrgID(%q) = %v, want an error saying %q", tt.id, err, tt.want)
		}
	}
}
