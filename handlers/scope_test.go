package handlers_test

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/handlers"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// scopeTokens are one token of each scope, by scope.
var scopeTokens = map[handlers.Scope]handlers.Token{
	handlers.ScopeRead:   {Name: "bi", Secret: "scope-read-secret", Scope: handlers.ScopeRead},
	handlers.ScopeIntake: {Name: "forms", Secret: "scope-intake-secret", Scope: handlers.ScopeIntake},
	handlers.ScopeWrite:  {Name: "gdpr", Secret: "scope-write-secret", Scope: handlers.ScopeWrite},
}

// scopeServer serves every API endpoint behind a token (the intake, lead,
// funnel, traffic and routing APIs) with one token of each scope.
func scopeServer(t *testing.T, s *storage.Store) *httptest.Server {
	t.Helper()
	tokens := slices.Collect(maps.Values(scopeTokens))
	clock := func() time.Time { return now }
	mux := http.NewServeMux()
	(&handlers.API{Store: s, DB: s, Policy: handoff.DefaultPolicy(), Tokens: tokens, Now: clock, Logger: discardLogger()}).Register(mux)
	(&handlers.FunnelAPI{Store: s, Policy: handoff.DefaultPolicy(), Tokens: tokens, Now: clock, Logger: discardLogger()}).Register(mux)
	(&handlers.RoutingAPI{Store: s, Policy: handoff.DefaultPolicy(), Guard: &handlers.Guard{Tokens: tokens}, Now: clock, Logger: discardLogger()}).Register(mux)
	srv := httptest.NewServer(handlers.Middleware(discardLogger(), mux, mux))
	t.Cleanup(srv.Close)
	return srv
}

// Every operation of the API that needs a token, asked with a token of
// each scope, on both databases: a read token only reads, an intake token
// only posts leads and activities, a write token does everything; a
// refusal is a 403 naming the token's scope and the scope needed. The
// table covers every operation openapi.json secures with the bearer token
// (GET /metrics, served by cmd/handoff, is asked there).
func TestEveryEndpointWithEveryScope(t *testing.T) {
	const (
		no   = http.StatusForbidden
		lead = `{"external_id":"scope-%s","name":"Ann Berg","email":"ann@berg.dk"}`
	)
	ops := []struct {
		method, path, body string
		need               handlers.Scope
		status             map[handlers.Scope]int
	}{
		{"POST", "/api/leads", lead, handlers.ScopeIntake, map[handlers.Scope]int{"read": no, "intake": 201, "write": 201}},
		{"POST", "/api/leads/{external_id}/activities", `{"type":"page_view","url":"https://berg.dk/%s"}`, handlers.ScopeIntake,
			map[handlers.Scope]int{"read": no, "intake": 200, "write": 200}},
		{"GET", "/api/leads/{external_id}", "", handlers.ScopeRead, map[handlers.Scope]int{"read": 200, "intake": no, "write": 200}},
		{"GET", "/api/funnel", "", handlers.ScopeRead, map[handlers.Scope]int{"read": 200, "intake": no, "write": 200}},
		{"GET", "/api/routing", "", handlers.ScopeRead, map[handlers.Scope]int{"read": 200, "intake": no, "write": 200}},
		{"POST", "/api/traffic", `{"date":"2026-11-19","visits":10,"source":"%s"}`, handlers.ScopeWrite,
			map[handlers.Scope]int{"read": no, "intake": no, "write": 200}},
		{"DELETE", "/api/leads/{external_id}", "", handlers.ScopeWrite, map[handlers.Scope]int{"read": no, "intake": no, "write": 204}},
	}
	covered := map[string]bool{"GET /metrics": true}
	for _, op := range ops {
		covered[op.method+" "+op.path] = true
	}
	for _, op := range bearerOperations(t) {
		if !covered[op] {
			t.Errorf("openapi.json's %s is not in the table", op)
		}
	}
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		srv := scopeServer(t, s)
		if got := do(t, srv, "POST", "/api/leads", "application/json", "Bearer scope-write-secret", `{"external_id":"scope-lead"}`); got.status != 201 {
			t.Fatalf("setup: %d %v", got.status, got.body)
		}
		for _, op := range ops {
			for _, scope := range []handlers.Scope{handlers.ScopeRead, handlers.ScopeIntake, handlers.ScopeWrite} {
				tok := scopeTokens[scope]
				body := strings.ReplaceAll(op.body, "%s", string(scope)) // a lead, a url, a source of its own
				path := strings.ReplaceAll(op.path, "{external_id}", "scope-lead")
				ctype := ""
				if body != "" {
					ctype = "application/json"
				}
				got := do(t, srv, op.method, path, ctype, "Bearer "+tok.Secret, body)
				if want := op.status[scope]; got.status != want {
					t.Errorf("%s %s with scope %s = %d %v, want %d", op.method, op.path, scope, got.status, got.body, want)
					continue
				}
				if got.status != no {
					continue
				}
				msg, _ := got.body["error"].(string)
				if !strings.Contains(msg, "token "+tok.Name+" has scope "+string(scope)) || !strings.Contains(msg, "needs scope "+string(op.need)) {
					t.Errorf("%s %s with scope %s: 403 %q does not name the token's scope and the scope needed (%s)", op.method, op.path, scope, msg, op.need)
				}
			}
		}
	})
}

// bearerOperations lists openapi.json's operations that need the bearer
// token ("POST /api/leads"): those without security of their own.
func bearerOperations(t *testing.T) []string {
	t.Helper()
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(handlers.OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	var out []string
	for path, ops := range doc.Paths {
		for method, raw := range ops {
			var op struct {
				Security *[]map[string][]string `json:"security"`
			}
			if method == "parameters" {
				continue
			}
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			if op.Security != nil && len(*op.Security) == 0 {
				continue // open, or authenticated as its platform does
			}
			out = append(out, strings.ToUpper(method)+" "+path)
		}
	}
	slices.Sort(out)
	return out
}

// An intake token reads back no lead: posting a lead or activities of a
// lead that a CRM and sales filled in answers what it sent, never the
// lead's personal data, owner or history; a write token's answer, the
// lead, shows them.
func TestIntakeTokenIsAnsweredAReceipt(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		srv := scopeServer(t, s)
		const write, intake = "Bearer scope-write-secret", "Bearer scope-intake-secret"
		setup := `{"external_id":"rcpt-1","name":"Ann Berg","email":"ann@berg.dk","phone":"+45 1234 5678","stage":"claimed","owner_email":"rep@acme.dk"}`
		if got := do(t, srv, "POST", "/api/leads", "application/json", write, setup); got.status != 201 || got.body["phone"] != "+45 1234 5678" {
			t.Fatalf("write token's post = %d %v, want the lead", got.status, got.body)
		}
		for _, tc := range []struct {
			name, path, body string
			status           int
			want             string
		}{
			{"NewLead", "/api/leads", `{"external_id":"rcpt-2","source":"webinar"}`, 201, `{"created":true,"external_id":"rcpt-2"}`},
			{"KnownLead", "/api/leads", `{"external_id":"rcpt-1","source":"webinar"}`, 200, `{"created":false,"external_id":"rcpt-1"}`},
			{"SameAgain", "/api/leads", `{"external_id":"rcpt-1"}`, 200, `{"created":false,"external_id":"rcpt-1"}`},
			{"Activities", "/api/leads/rcpt-1/activities", `{"type":"page_view","id":"pv-1"}`, 200, `{"added":1,"external_id":"rcpt-1"}`},
			// A refused move names the stage asked for, not the one stored (claimed).
			{"Backwards", "/api/leads", `{"external_id":"rcpt-1","stage":"mql"}`, 409,
				`{"error":"the lead's stage cannot move to mql (a stage moves only forward, or to recycled)"}`},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got := do(t, srv, "POST", tc.path, "application/json", intake, tc.body)
				raw, _ := json.Marshal(got.body)
				if got.status != tc.status || string(raw) != tc.want {
					t.Fatalf("intake token's post = %d %s, want %d %s", got.status, raw, tc.status, tc.want)
				}
			})
		}
		got := do(t, srv, "POST", "/api/leads/rcpt-1/activities", "application/json", write, `{"type":"page_view","id":"pv-2"}`)
		if lead, _ := got.body["lead"].(map[string]any); got.status != 200 || lead["email"] != "ann@berg.dk" || lead["owner_email"] != "rep@acme.dk" {
			t.Fatalf("write token's activities = %d %v, want the lead", got.status, got.body)
		}
	})
}
