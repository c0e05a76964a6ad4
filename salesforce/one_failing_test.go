package salesforce_test

import (
	"strings"
	"testing"

	"github.com/handoff/handoff/salesforce"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// A notification whose lead the database refuses to write does not keep
// the other notifications of its message out: each is stored, and the
// fault (a server fault: Salesforce sends the message again, and the
// stored ones change nothing then) names the one not stored.
func TestOutboundMessageOneFailingLeadDoesNotStopTheOthers(t *testing.T) {
	id := func(t *testing.T, id15 string) string {
		t.Helper()
		id18, err := salesforce.ID18(id15)
		if err != nil {
			t.Fatal(err)
		}
		return id18
	}
	failing := id(t, "00Q5g00000FAIL1")
	storagetest.EachFailingInsertsOf(t, failing, func(t *testing.T, s *storage.Store) {
		srv := newServer(t, s, nil)
		tests := []struct {
			name   string
			leads  []string // 15-character ids, in the message's order
			acked  bool
			stored []string
		}{
			{"failing first", []string{"00Q5g00000FAIL1", "00Q5g00000GOOD1"}, false, []string{"00Q5g00000GOOD1"}},
			{"failing amid others", []string{"00Q5g00000GOOD2", "00Q5g00000FAIL1", "00Q5g00000GOOD3"}, false,
				[]string{"00Q5g00000GOOD2", "00Q5g00000GOOD3"}},
			{"afterwards", []string{"00Q5g00000GOOD4"}, true, []string{"00Q5g00000GOOD4"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var ns []string
				for i, l := range tt.leads {
					ns = append(ns, lead("04l5g00000N"+l[10:]+string(rune('A'+i)), l, "2026-11-20T08:55:00.000Z", "Open - Not Contacted", ""))
				}
				status, body := send(t, srv, token, envelope(orgID, ns...))
				if acked(status, body) != tt.acked {
					t.Fatalf("acknowledged %v, want %v: %d %s", !tt.acked, tt.acked, status, body)
				}
				if !tt.acked && (!strings.Contains(body, "soapenv:Server") || !strings.Contains(body, "04l5g00000NFAIL1")) {
					t.Errorf("fault does not name the notification not stored as the server's: %s", body)
				}
				for _, l := range tt.stored {
					if _, err := s.LeadByExternalID(t.Context(), id(t, l)); err != nil {
						t.Errorf("lead %s of the message not stored: %v", l, err)
					}
				}
			})
		}
		if _, err := s.LeadByExternalID(t.Context(), failing); err == nil {
			t.Error("the failing lead is stored")
		}
	})
}
