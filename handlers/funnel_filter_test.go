package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// TestFunnelFilterRefusesWhatNoLeadHolds: a source or owner filter with a
// NUL, another control character or bytes that are not UTF-8 is a 400
// naming the parameter on both databases (PostgreSQL cannot even be asked
// for it: it was a 500), and the filters' 500 are characters, as the
// intake counts the fields they match.
func TestFunnelFilterRefusesWhatNoLeadHolds(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		seedFunnel(t, s)
		srv := newFunnelServer(t, s)
		for _, tc := range []struct {
			name, query string
			want        int
			field       string
		}{
			{"NULInSource", "source=organic%00", http.StatusBadRequest, "source"},
			{"NotUTF8Source", "source=%FForganic", http.StatusBadRequest, "source"},
			{"EscapeInOwner", "owner=%1B%5B31mU1", http.StatusBadRequest, "owner"},
			{"NULInOwner", "owner=rep%00%40acme.dk", http.StatusBadRequest, "owner"},
			{"Over500Characters", "source=" + strings.Repeat("%C3%B8", 501), http.StatusBadRequest, "source"},
			{"500CharactersOf2Bytes", "source=" + strings.Repeat("%C3%B8", 500), http.StatusOK, ""},
			{"Organic", "source=organic", http.StatusOK, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				status, body := funnelCall(t, srv, "GET", "/api/funnel?period=2026-11&"+tc.query, "", true)
				if status != tc.want {
					t.Fatalf("status %d, want %d: %v", status, tc.want, body)
				}
				if tc.field == "" {
					return
				}
				fields, _ := body["fields"].(map[string]any)
				if fields[tc.field] == nil {
					t.Errorf("answer %v does not name %s", body, tc.field)
				}
			})
		}
	})
}
