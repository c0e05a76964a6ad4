package handlers_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/handlers"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

const token = "s3cret-token"

var now = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

func newServer(t *testing.T, s *storage.Store) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	api := &handlers.API{Store: s, DB: s, Policy: handoff.DefaultPolicy(), Token: token, Now: func() time.Time { return now }}
	api.Register(mux)
	srv := httptest.NewServer(handlers.Middleware(discardLogger(), mux))
	t.Cleanup(srv.Close)
	return srv
}

type answer struct {
	status int
	body   map[string]any
}

func do(t *testing.T, srv *httptest.Server, method, path, contentType, auth, body string) answer {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("%s %s: non-JSON answer %q", method, path, raw)
		}
	}
	return answer{resp.StatusCode, m}
}

func post(t *testing.T, srv *httptest.Server, body string) answer {
	return do(t, srv, "POST", "/api/leads", "application/json", "Bearer "+token, body)
}

func TestPostLead(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		srv := newServer(t, s)
		big := `{"external_id":"big","name":"` + strings.Repeat("x", handlers.MaxBodyBytes) + `"}`
		tests := []struct {
			name        string
			contentType string
			auth        string
			body        string
			wantStatus  int
			wantField   string // a field the 400 answer must name
			wantStage   string
		}{
			{"Created", "application/json", "Bearer " + token, `{"external_id":"a1","email":"ann@acme.dk","company":"Acme","score":72,"crm_owner":"x"}`, 201, "", "sql"},
			{"RepeatIsOK", "application/json", "Bearer " + token, `{"external_id":"a1","email":"ann@acme.dk","company":"Acme","score":72,"crm_owner":"x"}`, 200, "", "sql"},
			{"UpdateIsOK", "application/json", "Bearer " + token, `{"external_id":"a1","stage":"contacted"}`, 200, "", "contacted"},
			{"BackwardsIsConflict", "application/json", "Bearer " + token, `{"external_id":"a1","stage":"mql"}`, 409, "", ""},
			{"RecycleGoesBack", "application/json", "Bearer " + token, `{"external_id":"a1","stage":"recycled","reason":"no budget"}`, 200, "", "recycled"},
			{"UnknownStage", "application/json", "Bearer " + token, `{"external_id":"a2","stage":"banana"}`, 400, "stage", ""},
			{"MissingExternalID", "application/json", "Bearer " + token, `{"email":"x@y.dk"}`, 400, "external_id", ""},
			{"BadEmail", "application/json", "Bearer " + token, `{"external_id":"a3","email":"not-an-email"}`, 400, "email", ""},
			{"BadScore", "application/json", "Bearer " + token, `{"external_id":"a3","score":"high"}`, 400, "score", ""},
			{"FractionalScore", "application/json", "Bearer " + token, `{"external_id":"a3","score":7.5}`, 400, "score", ""},
			{"BadOccurredAt", "application/json", "Bearer " + token, `{"external_id":"a3","occurred_at":"yesterday"}`, 400, "occurred_at", ""},
			{"NegativeAmount", "application/json", "Bearer " + token, `{"external_id":"a3","stage":"won","amount":-5}`, 400, "amount", ""},
			{"RecycleWithoutReason", "application/json", "Bearer " + token, `{"external_id":"a3","stage":"recycled"}`, 400, "reason", ""},
			{"NameNotString", "application/json", "Bearer " + token, `{"external_id":"a3","name":42}`, 400, "name", ""},
			{"NotAnObject", "application/json", "Bearer " + token, `[1,2]`, 400, "", ""},
			{"BrokenJSON", "application/json", "Bearer " + token, `{"external_id":`, 400, "", ""},
			{"TwoObjects", "application/json", "Bearer " + token, `{"external_id":"a4"}{"external_id":"a5"}`, 400, "", ""},
			{"NoToken", "application/json", "", `{"external_id":"a6"}`, 401, "", ""},
			{"WrongToken", "application/json", "Bearer nope", `{"external_id":"a6"}`, 401, "", ""},
			{"NotJSON", "text/plain", "Bearer " + token, `{"external_id":"a6"}`, 415, "", ""},
			{"TooLarge", "application/json", "Bearer " + token, big, 413, "", ""},
			{"WonWithAmount", "application/json", "Bearer " + token, `{"external_id":"a7","stage":"won","amount":40000.5,"occurred_at":"2026-11-19T10:00:00+01:00"}`, 201, "", "won"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				got := do(t, srv, "POST", "/api/leads", tc.contentType, tc.auth, tc.body)
				if got.status != tc.wantStatus {
					t.Fatalf("status = %d, want %d; body %v", got.status, tc.wantStatus, got.body)
				}
				if got.status >= 400 {
					if msg, _ := got.body["error"].(string); msg == "" {
						t.Fatalf("error answer without message: %v", got.body)
					}
				}
				if tc.wantField != "" {
					fields, _ := got.body["fields"].(map[string]any)
					if _, ok := fields[tc.wantField]; !ok {
						t.Fatalf("400 does not name %q: %v", tc.wantField, got.body)
					}
				}
				if tc.wantStage != "" && got.body["stage"] != tc.wantStage {
					t.Fatalf("stage = %v, want %s", got.body["stage"], tc.wantStage)
				}
			})
		}
		// Rejected requests wrote nothing.
		for _, ext := range []string{"a2", "a3", "a6", "big"} {
			if _, err := s.LeadByExternalID(t.Context(), ext); handoff.ErrorCode(err) != handoff.ENOTFOUND {
				t.Errorf("rejected lead %s was stored (err=%v)", ext, err)
			}
		}
	})
}

func TestGetLead(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		srv := newServer(t, s)
		if got := post(t, srv, `{"external_id":"sf-9","name":"Bo","owner_email":"rep@acme.dk","stage":"claimed"}`); got.status != 201 {
			t.Fatalf("post: %d %v", got.status, got.body)
		}
		got := do(t, srv, "GET", "/api/leads/sf-9", "", "Bearer "+token, "")
		if got.status != 200 {
			t.Fatalf("get: %d %v", got.status, got.body)
		}
		for _, key := range []string{"external_id", "stage", "owner", "claimed_at", "contacted_at", "contact_due_at", "sla_breached", "events"} {
			if _, ok := got.body[key]; !ok {
				t.Errorf("lead JSON lacks %q", key)
			}
		}
		events := got.body["events"].([]any)
		var stages []string
		for _, e := range events {
			stages = append(stages, e.(map[string]any)["stage"].(string))
		}
		if fmt.Sprint(stages) != "[lead mql sql claimed]" {
			t.Fatalf("events = %v", stages)
		}
		due, _ := time.Parse(time.RFC3339, got.body["contact_due_at"].(string))
		if !due.Equal(now.Add(48 * time.Hour)) {
			t.Fatalf("contact_due_at = %v, want %v", due, now.Add(48*time.Hour))
		}
		if got.body["owner_email"] != "rep@acme.dk" || got.body["claimed_at"] == nil {
			t.Fatalf("owner/claimed_at not set: %v", got.body)
		}
		if nf := do(t, srv, "GET", "/api/leads/missing", "", "Bearer "+token, ""); nf.status != 404 {
			t.Fatalf("missing lead: %d", nf.status)
		}
		if na := do(t, srv, "GET", "/api/leads/sf-9", "", "", ""); na.status != 401 {
			t.Fatalf("no token: %d", na.status)
		}
	})
}

func TestConcurrentDuplicatePosts(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		srv := newServer(t, s)
		var wg sync.WaitGroup
		statuses := make(chan int, 20)
		for i := 0; i < 20; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, _ := http.NewRequest("POST", srv.URL+"/api/leads", bytes.NewBufferString(`{"external_id":"same","company":"Acme"}`))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				statuses <- resp.StatusCode
			}()
		}
		wg.Wait()
		close(statuses)
		count := map[int]int{}
		for st := range statuses {
			count[st]++
		}
		if count[201] != 1 || count[200] != 19 {
			t.Fatalf("statuses = %v, want one 201 and nineteen 200", count)
		}
		lead, err := s.LeadByExternalID(t.Context(), "same")
		if err != nil {
			t.Fatal(err)
		}
		out, _ := s.OutboxMessages(t.Context(), lead.ID)
		if len(out) != 1 {
			t.Fatalf("outbox entries = %d, want 1", len(out))
		}
	})
}

func TestHealth(t *testing.T) {
	s := storagetest.Open(t, storage.DialectSQLite)
	srv := newServer(t, s)
	if got := do(t, srv, "GET", "/healthz", "", "", ""); got.status != 200 {
		t.Fatalf("healthz = %d", got.status)
	}
	if got := do(t, srv, "GET", "/readyz", "", "", ""); got.status != 200 {
		t.Fatalf("readyz = %d", got.status)
	}
	s.Close()
	if got := do(t, srv, "GET", "/readyz", "", "", ""); got.status != 503 {
		t.Fatalf("readyz with closed database = %d, want 503", got.status)
	}
}

func TestDeleteLead(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		srv := newServer(t, s)
		if got := post(t, srv, `{"external_id":"gdpr-1","name":"Ann","email":"ann@acme.dk"}`); got.status != 201 {
			t.Fatalf("post = %d", got.status)
		}
		if got := do(t, srv, "DELETE", "/api/leads/gdpr-1", "", "", ""); got.status != 401 {
			t.Fatalf("delete without token = %d", got.status)
		}
		if got := do(t, srv, "DELETE", "/api/leads/gdpr-1", "", "Bearer "+token, ""); got.status != 204 {
			t.Fatalf("delete = %d %v", got.status, got.body)
		}
		if got := do(t, srv, "GET", "/api/leads/gdpr-1", "", "Bearer "+token, ""); got.status != 404 {
			t.Fatalf("get after delete = %d", got.status)
		}
		if got := do(t, srv, "DELETE", "/api/leads/gdpr-1", "", "Bearer "+token, ""); got.status != 404 {
			t.Fatalf("second delete = %d", got.status)
		}
	})
}
