package handlers_test

import (
	"encoding/json"
	"fmt"
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
		{"POST", "/api/leads", lead, handlers.ScopeIntake, map[handlers.Scope]int{"read": no, "intake": 202, "write": 201}},
		{"POST", "/api/leads/{external_id}/activities", `{"type":"page_view","url":"https://berg.dk/%s"}`, handlers.ScopeIntake,
			map[handlers.Scope]int{"read": no, "intake": 202, "write": 200}},
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

// An intake token reads back no lead, and cannot tell whether one exists:
// posting a lead, or activities, of a lead a CRM and sales filled in is
// answered exactly as the same post of an unknown lead is (202 and the
// external id it sent), whatever the post would have been refused for on
// the known lead (a stage behind it, attributes past the lead's limit, an
// activity id the lead has for another activity); a write token's
// answer, the lead, shows its personal data.
func TestIntakeTokenIsNoOracle(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		srv := scopeServer(t, s)
		const write, intake = "Bearer scope-write-secret", "Bearer scope-intake-secret"
		attrs := make([]string, handoff.MaxAttributes-5)
		for i := range attrs {
			attrs[i] = fmt.Sprintf(`"crm_%d":"x"`, i)
		}
		setup := `{"external_id":"known","name":"Ann Berg","email":"ann@berg.dk","phone":"+45 1234 5678","stage":"claimed","owner_email":"rep@acme.dk",` + strings.Join(attrs, ",") + `}`
		if got := do(t, srv, "POST", "/api/leads", "application/json", write, setup); got.status != 201 || got.body["phone"] != "+45 1234 5678" {
			t.Fatalf("write token's post = %d %v, want the lead", got.status, got.body)
		}
		if got := do(t, srv, "POST", "/api/leads/known/activities", "application/json", write, `{"type":"page_view","id":"pv-1"}`); got.status != 200 {
			t.Fatalf("write token's activity = %d %v", got.status, got.body)
		}
		tenNew := make([]string, 10)
		for i := range tenNew {
			tenNew[i] = fmt.Sprintf(`"form_%d":"y"`, i)
		}
		for _, tc := range []struct {
			name, path, body string // %s: the lead's external id
		}{
			{"Post", "/api/leads", `{"external_id":"%s","source":"webinar"}`},
			{"SameAgain", "/api/leads", `{"external_id":"%s"}`},
			{"StageBehind", "/api/leads", `{"external_id":"%s","stage":"mql"}`},
			{"AttributesPastTheLeads", "/api/leads", `{"external_id":"%s",` + strings.Join(tenNew, ",") + `}`},
			{"Activity", "/api/leads/%s/activities", `{"type":"page_view","id":"pv-2"}`},
			{"ActivityIDReused", "/api/leads/%s/activities", `{"type":"form_fill","id":"pv-1"}`},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var answers [2]string
				for i, ext := range []string{"known", "unknown-" + tc.name} {
					got := do(t, srv, "POST", strings.ReplaceAll(tc.path, "%s", ext), "application/json", intake, strings.ReplaceAll(tc.body, "%s", ext))
					raw, _ := json.Marshal(got.body)
					answers[i] = fmt.Sprintf("%d %s", got.status, strings.ReplaceAll(string(raw), ext, "ID"))
				}
				if want := `202 {"external_id":"ID"}`; answers[0] != want || answers[1] != want {
					t.Fatalf("intake token's post for a known lead = %s, for an unknown one = %s; want both %s", answers[0], answers[1], want)
				}
			})
		}
		got := do(t, srv, "POST", "/api/leads/known/activities", "application/json", write, `{"type":"page_view","id":"pv-3"}`)
		if lead, _ := got.body["lead"].(map[string]any); got.status != 200 || lead["email"] != "ann@berg.dk" || lead["owner_email"] != "rep@acme.dk" {
			t.Fatalf("write token's activities = %d %v, want the lead", got.status, got.body)
		}
	})
}

// An intake token (a web form) adds to a lead, never changes what it
// has: posted for a known lead, its fields fill only the lead's empty
// ones, its new attributes are added up to the limit, and its stage
// is entered only when the lead never reached it (an MQL asking for a
// demo becomes an SQL; a lead sales claimed stays claimed). What only
// sales or the CRM set (a later stage, the owner, the deal value, a
// reason) is refused with a 400 naming each field, known lead or not.
func TestIntakeTokenOnlyAddsToALead(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		srv := scopeServer(t, s)
		const write, intake = "Bearer scope-write-secret", "Bearer scope-intake-secret"
		for _, body := range []string{
			`{"external_id":"crm-1","name":"Ann Berg","phone":"+45 1234 5678","stage":"claimed","owner_email":"rep@acme.dk","plan":"gold"}`,
			`{"external_id":"crm-2","name":"Bo Holm","stage":"mql"}`,
		} {
			if got := do(t, srv, "POST", "/api/leads", "application/json", write, body); got.status != 201 {
				t.Fatalf("setup %s = %d %v", body, got.status, got.body)
			}
		}
		for _, tc := range []struct {
			name, body string
			status     int
			fields     []string // the 400's
		}{
			{"Changes", `{"external_id":"crm-1","name":"Eve","phone":"+1 555","title":"CTO","plan":"free","utm_source":"ads","stage":"sql"}`, 202, nil},
			{"Promotes", `{"external_id":"crm-2","name":"Eve","stage":"sql"}`, 202, nil},
			{"SalesFields", `{"external_id":"crm-1","stage":"won","owner_email":"eve@evil.example","amount":100,"reason":"x"}`, 400,
				[]string{"amount", "owner_email", "reason", "stage"}},
			{"SalesFieldsNewLead", `{"external_id":"form-9","stage":"lost","reason":"x"}`, 400, []string{"reason", "stage"}},
		} {
			got := do(t, srv, "POST", "/api/leads", "application/json", intake, tc.body)
			fields, _ := got.body["fields"].(map[string]any)
			if got.status != tc.status || !slices.Equal(slices.Sorted(maps.Keys(fields)), tc.fields) {
				t.Errorf("%s: intake token's post = %d %v, want %d naming %v", tc.name, got.status, got.body, tc.status, tc.fields)
			}
		}
		for ext, want := range map[string]map[string]any{
			"crm-1": {"name": "Ann Berg", "phone": "+45 1234 5678", "title": "CTO", "stage": "claimed", "owner_email": "rep@acme.dk",
				"attributes": map[string]any{"plan": "gold", "utm_source": "ads"}, "amount": float64(0)},
			"crm-2":  {"name": "Bo Holm", "stage": "sql"},
			"form-9": nil,
		} {
			got := do(t, srv, "GET", "/api/leads/"+ext, "", write, "")
			if want == nil {
				if got.status != 404 {
					t.Errorf("%s: %d %v, want 404: a refused post stores nothing", ext, got.status, got.body)
				}
				continue
			}
			for k, v := range want {
				if g, _ := json.Marshal(got.body[k]); string(g) != string(must(json.Marshal(v))) {
					t.Errorf("%s: %s = %s, want %v (the lead after the intake token's posts: %v)", ext, k, g, v, got.body)
				}
			}
		}
	})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
