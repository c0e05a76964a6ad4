package handlers_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// leadState is what a store holds of one lead, to tell whether a request
// wrote anything: whether it exists, its last change and its history.
type leadState struct {
	exists  bool
	updated time.Time
	events  int
}

func stateOf(t *testing.T, s *storage.Store, ext string) leadState {
	t.Helper()
	l, err := s.LeadByExternalID(t.Context(), ext)
	if handoff.ErrorCode(err) == handoff.ENOTFOUND {
		return leadState{}
	}
	if err != nil {
		t.Fatalf("read lead %q: %v", ext, err)
	}
	events, err := s.Events(t.Context(), l.ID)
	if err != nil {
		t.Fatal(err)
	}
	return leadState{exists: true, updated: l.UpdatedAt, events: len(events)}
}

// fuzzedID returns the external id a body names when a store could be
// asked for it, or "".
func fuzzedID(body []byte) string {
	var raw map[string]any
	if json.Unmarshal(body, &raw) != nil {
		return ""
	}
	ext, _ := raw["external_id"].(string)
	ext = strings.TrimSpace(ext)
	if ext == "" || !utf8.ValidString(ext) || strings.ContainsRune(ext, 0) {
		return ""
	}
	return ext
}

// FuzzPostLead posts arbitrary bodies to POST /api/leads on a real store
// (SQLite, or PostgreSQL with HANDOFF_FUZZ_DIALECT). The answer is a 2xx
// or a 4xx, never a 5xx; a 400 names the bad field ("body" for a body
// refused whole); a refused body leaves the lead it names as it was; an
// accepted one is stored, and only valid UTF-8 is accepted.
func FuzzPostLead(f *testing.F) {
	for _, seed := range []string{
		`{"external_id":"hs-1001","name":"Ann Berg","email":"ann@berg.dk","company":"Berg ApS","title":"IT-chef","score":82}`,
		`{"external_id":"hs-1001","stage":"claimed"}`,
		`{"external_id":"hs-1001","stage":"mql"}`,
		`{"external_id":"hs-1002","stage":"recycled","reason":"no budget"}`,
		`{"external_id":"hs-1003","stage":"won","amount":"40 000,50","occurred_at":"2026-11-20T08:00:00Z"}`,
		`{"external_id":"hs-1004","utm":{"source":["a","b"]},"owner_email":"rep@acme.dk"}`,
		`{"external_id":"hs-1005","name":"Ann\u0000Berg"}`,
		`{"external_id":"hs-1006","stage":"banana","score":1.5,"amount":-1}`,
		`{"external_id":"hs-1007","name":"` + "\xff\xfe" + `"}`,
		`{"external_id":"hs-1008","external_id":"hs-1009"}`,
		`{"external_id":"hs-1010"} {}`,
		`[{"external_id":"hs-1011"}]`,
		`{"external_id":1}`,
		`{"external_id":"x","score":1e300,"amount":1e300}`,
		strings.Repeat("[", 100) + strings.Repeat("]", 100),
		`{"external_id":"deep","a":` + strings.Repeat(`{"a":`, 60) + "1" + strings.Repeat("}", 60) + "}",
		``,
		`null`,
	} {
		f.Add([]byte(seed))
	}
	s := storagetest.Open(f, storagetest.FuzzDialect())
	srv := newServer(f, s)
	f.Fuzz(func(t *testing.T, body []byte) {
		ext := fuzzedID(body)
		var before leadState
		if ext != "" {
			before = stateOf(t, s, ext)
		}
		got := post(t, srv, string(body))
		switch {
		case got.status == http.StatusOK || got.status == http.StatusCreated:
			if !utf8.Valid(body) {
				t.Fatalf("accepted a body that is not UTF-8: %q", body)
			}
			if ext != "" && !stateOf(t, s, ext).exists {
				t.Fatalf("%d for %q, but the lead is not stored", got.status, ext)
			}
		case got.status >= 400 && got.status < 500:
			msg, _ := got.body["error"].(string)
			if msg == "" {
				t.Fatalf("%d without an error: %v", got.status, got.body)
			}
			if got.status == http.StatusBadRequest {
				if fields, _ := got.body["fields"].(map[string]any); len(fields) == 0 {
					t.Fatalf("400 without naming a field (body when the body is refused as a whole): %v", got.body)
				}
			}
			if ext != "" {
				if after := stateOf(t, s, ext); after != before {
					t.Fatalf("%d, but lead %q changed: %+v -> %+v", got.status, ext, before, after)
				}
			}
		default:
			t.Fatalf("status %d for %q: %v", got.status, body, got.body)
		}
	})
}
