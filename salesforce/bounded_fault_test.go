package salesforce_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/handoff/handoff/salesforce"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestFaultIsBounded sends messages within the 4 MiB limit that a
// hostile or broken sender could: 1,000 notifications (ten times what an
// Outbound Message carries), and 100 notifications of 3 bad fields
// each whose values run to 10 KB. Each fault is at most 8 KiB (a
// 2,000-byte message and 10 fields in its detail, handoff.Bounded) and
// says how many there are, instead of repeating every value.
func TestFaultIsBounded(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		srv := newServer(t, s, nil)
		long := strings.Repeat("x", 10000)
		var thousand, badFields []string
		for i := range 1000 {
			thousand = append(thousand, lead(fmt.Sprintf("04l5g00000N%07d", i), fmt.Sprintf("00Q5g0000%06d", i), "2026-11-20T08:55:00.000Z", "Open - Not Contacted", "3"))
		}
		for i := range 100 {
			badFields = append(badFields, lead(fmt.Sprintf("04l5g00000B%07d", i), long, "not-a-date", "Nurturing "+long, "3"))
		}
		for _, tc := range []struct {
			name, body, want string
			fields           int // field elements in the fault's detail
		}{
			{"1,000 notifications", envelope(orgID, thousand...), "1000 notifications: want 1 to 100", 0},
			{"300 bad fields", envelope(orgID, badFields...), "(300 fields, the first 10 by name named in fields)", 10},
		} {
			t.Run(tc.name, func(t *testing.T) {
				status, body := send(t, srv, token, tc.body)
				if status != 500 || !strings.Contains(body, "soapenv:Client") {
					t.Fatalf("want a client fault, got %d %.300s", status, body)
				}
				if len(body) > 8<<10 {
					t.Errorf("the fault for a message of %d bytes is %d bytes, want at most 8 KiB: %.300s…", len(tc.body), len(body), body)
				}
				if !strings.Contains(body, tc.want) {
					t.Errorf("the fault does not say %q: %.300s…", tc.want, body)
				}
				if n := strings.Count(body, "<field name="); n != tc.fields {
					t.Errorf("the fault's detail names %d fields, want %d", n, tc.fields)
				}
			})
		}
	})
}

// TestServerFaultIsBounded: when the database fails to store the 100
// notifications of a message, whose ids run to 10 KB each, the server
// fault names the first 10, cut, and says how many more there are.
func TestServerFaultIsBounded(t *testing.T) {
	failing, err := salesforce.ID18("00Q5g00000FAIL9")
	if err != nil {
		t.Fatal(err)
	}
	storagetest.EachFailingInsertsOf(t, failing, func(t *testing.T, s *storage.Store) {
		srv := newServer(t, s, nil)
		var ns []string
		for i := range 100 {
			ns = append(ns, lead(fmt.Sprintf("04l5g00000F%07d%s", i, strings.Repeat("n", 10000)), failing, "2026-11-20T08:55:00.000Z", "Open - Not Contacted", "3"))
		}
		status, body := send(t, srv, token, envelope(orgID, ns...))
		if status != 500 || !strings.Contains(body, "soapenv:Server") {
			t.Fatalf("want a server fault, got %d %.300s", status, body)
		}
		if len(body) > 8<<10 {
			t.Errorf("the fault is %d bytes, want at most 8 KiB: %.300s…", len(body), body)
		}
		if !strings.Contains(body, "04l5g00000F0000000") || !strings.Contains(body, "… and 90 more") {
			t.Errorf("the fault does not name the first notification and how many more (90): %.300s…", body)
		}
	})
}
