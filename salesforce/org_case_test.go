package salesforce_test

import (
	"context"
	"testing"

	"github.com/handoff/handoff/salesforce"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestSameOrgCase: a 15-character org id is case-sensitive, and an
// 18-character one has the case its suffix encodes, whatever the case of
// its letters.
func TestSameOrgCase(t *testing.T) {
	tests := []struct {
		a, b string
		same bool
	}{
		{"00D5g000004XyZq", "00D5g000004XyZq", true},
		{"00D5g000004XyZq", "00D5g000004XyZqEAK", true},
		{"00d5g000004xyzqeak", "00D5g000004XyZq", true},
		{"00D5g000004XyZqEAK", "00d5g000004xyzqeak", true},
		{"00D5g000004xyzq", "00D5g000004XYZQEAA", true},
		{" 00D5g000004XyZq ", "00D5g000004XyZqEAK", true},
		{"00D5g000004XyZq", "00D5g000004xyzq", false},
		{"00D5g000004XyZqEAK", "00D5g000004xyzq", false},
		{"00D5g000004XyZqEAK", "00D5g000004XyZqEAA", false},
		{"00D5g000004XyZqAAA", "00D5g000004XyZq", false}, // suffix: all lower case
		{"00D5g000004XyZq", "00D5g000004XyZr", false},
		{"00D5g000004XyZq", "", false},
		{"00D5g000004XyZq9AK", "00D5g000004XyZq9AK", false}, // 9 is no suffix character
		{"00D5g000004XyZqFAK", "00D5g000004XyZqFAK", false}, // F marks the digit 0 upper case
		{"00D5g000004XyZ-", "00D5g000004XyZ-", false},
	}
	for _, tt := range tests {
		if got := salesforce.SameOrg(tt.a, tt.b); got != tt.same {
			t.Errorf("SameOrg(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.same)
		}
		if got := salesforce.SameOrg(tt.b, tt.a); got != tt.same {
			t.Errorf("SameOrg(%q, %q) = %v, want %v", tt.b, tt.a, got, tt.same)
		}
	}
}

func TestForeignOrgDifferingOnlyInCaseIsRefused(t *testing.T) {
	if salesforce.SameOrg("00D5g000004XyZq", "00D5g000004xyzq") {
		t.Errorf("SameOrg treats two distinct 15-character org ids (differing in case) as one org")
	}
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		srv := newServer(t, s, nil)
		foreign, _ := salesforce.ID18("00D5g000004xyzq") // another org
		msg := envelope(foreign, lead("04l5g00000DEF12AAB", leadA, "2026-11-20T08:55:00.000Z", "Open - Not Contacted", "1"))
		st, body := send(t, srv, token, msg)
		if acked(st, body) {
			t.Errorf("message from foreign org %s acknowledged", foreign)
		}
		if _, err := s.LeadByExternalID(context.Background(), leadA); err == nil {
			t.Errorf("lead from foreign org %s stored", foreign)
		}
	})
}
