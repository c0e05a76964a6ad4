package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/handlers"
	"github.com/handoff/handoff/metrics"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

const token = "s3cret-token"

var now = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

func newServer(t testing.TB, s *storage.Store) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	api := &handlers.API{Store: s, DB: s, Policy: handoff.DefaultPolicy(), Token: token, Now: func() time.Time { return now }}
	api.Register(mux)
	srv := httptest.NewServer(handlers.Middleware(discardLogger(), mux, mux))
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
			// json.Decoder.More is false before a '}': the bytes after it, not UTF-8 here, were never read.
			{"BytesAfterTheObject", "application/json", "Bearer " + token, `{"external_id":"a8"}}, "name": "` + "\xff" + `"}`, 400, "", ""},
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
		for _, ext := range []string{"a2", "a3", "a6", "a8", "big"} {
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

// TestDeleteLead erases a lead over HTTP: only a write token may, an
// unknown lead is a 404, and afterwards GET by the old id shows the
// anonymous view while no table holds any of the person's data.
func TestDeleteLead(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		mux := http.NewServeMux()
		(&handlers.API{Store: s, DB: s, Policy: handoff.DefaultPolicy(), Now: func() time.Time { return now },
			Tokens: []handlers.Token{{Name: "crm", Secret: "w-secret-1", Scope: handlers.ScopeWrite}, {Name: "bi", Secret: "r-secret-1", Scope: handlers.ScopeRead}}}).Register(mux)
		srv := httptest.NewServer(handlers.Middleware(discardLogger(), mux, mux))
		defer srv.Close()
		const write, read = "Bearer w-secret-1", "Bearer r-secret-1"
		personal := []string{"gdpr-ext-1", "Ann Berg", "ann.berg@acme.dk", "+45 1234 5678", "Acme Holding", "Head of IT", "ann-berg-li", "Ann wants a call"}
		body := `{"external_id":"gdpr-ext-1","name":"Ann Berg","email":"ann.berg@acme.dk","phone":"+45 1234 5678","company":"Acme Holding","title":"Head of IT","linkedin":"ann-berg-li","source":"webinar"}`
		if got := do(t, srv, "POST", "/api/leads", "application/json", write, body); got.status != 201 {
			t.Fatalf("post = %d %v", got.status, got.body)
		}
		if got := do(t, srv, "POST", "/api/leads", "application/json", write, `{"external_id":"gdpr-ext-1","stage":"recycled","reason":"Ann wants a call"}`); got.status != 200 {
			t.Fatalf("recycle = %d %v", got.status, got.body)
		}
		for _, tc := range []struct {
			name, path, auth string
			want             int
		}{
			{"NoToken", "/api/leads/gdpr-ext-1", "", 401},
			{"WrongToken", "/api/leads/gdpr-ext-1", "Bearer nope", 401},
			{"ReadToken", "/api/leads/gdpr-ext-1", read, 403},
			{"Unknown", "/api/leads/nobody", write, 404},
			{"Erase", "/api/leads/gdpr-ext-1", write, 204},
			{"Again", "/api/leads/gdpr-ext-1", write, 404},
		} {
			if got := do(t, srv, "DELETE", tc.path, "", tc.auth, ""); got.status != tc.want {
				t.Fatalf("%s: DELETE %s = %d %v, want %d", tc.name, tc.path, got.status, got.body, tc.want)
			}
		}
		got := do(t, srv, "GET", "/api/leads/gdpr-ext-1", "", read, "")
		if got.status != 200 {
			t.Fatalf("GET after erasure = %d %v, want the erased view", got.status, got.body)
		}
		ext, _ := got.body["external_id"].(string)
		events, _ := got.body["events"].([]any)
		if !strings.HasPrefix(ext, "erased-") || got.body["stage"] != "recycled" || len(events) == 0 ||
			events[len(events)-1].(map[string]any)["kind"] != "erased" || events[len(events)-1].(map[string]any)["actor"] != "crm" {
			t.Fatalf("erased view = %v", got.body)
		}
		// A lead is erased once: by its anonymous id it is no longer there
		// to erase, and GET still finds its erased view by the old id.
		if got := do(t, srv, "DELETE", "/api/leads/"+ext, "", write, ""); got.status != 404 {
			t.Fatalf("DELETE by the anonymous id %s = %d %v, want 404", ext, got.status, got.body)
		}
		if got := do(t, srv, "GET", "/api/leads/gdpr-ext-1", "", read, ""); got.status != 200 || got.body["external_id"] != ext {
			t.Fatalf("GET by the old id after a DELETE by the anonymous one = %d %v, want the erased view", got.status, got.body)
		}
		raw, _ := json.Marshal(got.body)
		for _, p := range personal {
			if strings.Contains(string(raw), p) {
				t.Errorf("the erased view shows %q: %s", p, raw)
			}
			found, err := s.FindText(context.Background(), p)
			if err != nil || len(found) > 0 {
				t.Errorf("%q is still stored in %v (%v)", p, found, err)
			}
		}
		if got := do(t, srv, "GET", "/api/leads/nobody", "", read, ""); got.status != 404 {
			t.Fatalf("GET unknown = %d", got.status)
		}
	})
}

// TestPostLeadRefusesWhatCannotBeStored sends what broke the service
// before: impossible times, control characters and unbounded data. Each is a
// 400 naming the field, nothing is stored, and the same on both databases.
func TestPostLeadRefusesWhatCannotBeStored(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		srv := newServer(t, s)
		manyAttrs := `{"external_id":"r-many"`
		for i := range handoff.MaxAttributes + 1 {
			manyAttrs += fmt.Sprintf(`,"attr_%d":"v"`, i)
		}
		manyAttrs += "}"
		tests := []struct {
			name, body, field string
		}{
			{"YearZero", `{"external_id":"r-year0","occurred_at":"0000-01-01T00:00:00+23:00"}`, "occurred_at"},
			{"Before2000", `{"external_id":"r-1999","occurred_at":"1999-12-31T23:59:59Z"}`, "occurred_at"},
			{"Future", `{"external_id":"r-future","occurred_at":"` + now.Add(6*time.Minute).Format(time.RFC3339) + `"}`, "occurred_at"},
			{"NUL", `{"external_id":"r-nul","name":"Ann\u0000Berg"}`, "name"},
			{"Escape", `{"external_id":"r-esc","company":"\u001b[2JAcme"}`, "company"},
			{"NULInReason", `{"external_id":"r-reason","stage":"recycled","reason":"no\u0000budget"}`, "reason"},
			{"NULInExternalID", `{"external_id":"r-\u0000"}`, "external_id"},
			{"TabInExternalID", `{"external_id":"r-tab\tx"}`, "external_id"},
			{"LongName", `{"external_id":"r-long","name":"` + strings.Repeat("æ", handoff.MaxFieldLen+1) + `"}`, "name"},
			{"ManyAttributes", manyAttrs, "attributes"},
			{"LongAttribute", `{"external_id":"r-attr","utm_term":"` + strings.Repeat("x", handoff.MaxAttributeLen+1) + `"}`, "utm_term"},
			{"NULInAttribute", `{"external_id":"r-attrnul","utm_term":"a\u0000"}`, "utm_term"},
			{"NULInNestedAttribute", `{"external_id":"r-nested","crm":{"tags":["ok","b\u0000d"]}}`, "crm"},
			{"NULInAttributeName", `{"external_id":"r-attrname","a\u0000b":"x"}`, "attributes"},
			{"InvalidUTF8", "{\"external_id\":\"r-utf8\",\"name\":\"Ann \xffBerg\"}", "name"},
			{"InvalidUTF8InNestedAttribute", "{\"external_id\":\"r-utf8-nested\",\"crm\":{\"tags\":[\"ok\",\"\xc3\"]}}", "crm"},
			{"DuplicateKey", `{"external_id":"r-dup","stage":"won","amount":100,"stage":"lost"}`, "stage"},
			{"DuplicateKeyInAttribute", `{"external_id":"r-dup-nested","crm":{"owner":"a","owner":"b"}}`, "crm"},
			{"InvalidUTF8InAttributeName", "{\"external_id\":\"r-utf8-name\",\"utm\xe2\x82\":\"x\"}", "attributes"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				got := post(t, srv, tc.body)
				fields, _ := got.body["fields"].(map[string]any)
				if got.status != http.StatusBadRequest || fields[tc.field] == nil {
					t.Fatalf("status %d, body %v; want 400 naming %q", got.status, got.body, tc.field)
				}
				var raw map[string]any
				_ = json.Unmarshal([]byte(tc.body), &raw)
				ext, _ := raw["external_id"].(string)
				if strings.ContainsRune(ext, 0) {
					return // PostgreSQL cannot even be asked for it
				}
				if _, err := s.LeadByExternalID(t.Context(), ext); handoff.ErrorCode(err) != handoff.ENOTFOUND {
					t.Fatalf("refused lead %q was stored (err=%v)", ext, err)
				}
			})
		}
		// At the bounds: allowed.
		for _, body := range []string{
			`{"external_id":"ok-skew","occurred_at":"` + now.Add(4*time.Minute).Format(time.RFC3339) + `"}`,
			`{"external_id":"ok-2000","stage":"lead","occurred_at":"2000-01-01T00:00:00Z"}`,
			`{"external_id":"ok-long","name":"` + strings.Repeat("æ", handoff.MaxFieldLen) + `","note":"line 1\nline 2\ttab"}`,
			`{"external_id":"ok-lines","name":"Ann\r\n Berg","stage":"recycled","reason":"no budget\nbefore Q3"}`,
		} {
			if got := post(t, srv, body); got.status != http.StatusCreated {
				t.Errorf("%s: status %d, body %v; want 201", body[:40], got.status, got.body)
			}
		}
		// A name's line break is folded into a space; a reason keeps its own.
		if l, err := s.LeadByExternalID(t.Context(), "ok-lines"); err != nil || l.Name != "Ann Berg" || l.Reason != "no budget\nbefore Q3" {
			t.Fatalf("ok-lines = %+v, %v", l, err)
		}
	})
}

// TestPostLeadMetricsNeverChangeTheAnswer posts a Danish source whose 40th
// byte falls inside "ø": the label is cut on a character boundary, the lead
// is created (201), the outbox is woken and the counter is scraped.
func TestPostLeadMetricsNeverChangeTheAnswer(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		m := metrics.New(nil)
		var woken atomic.Int32
		s.OnQueued(func() { woken.Add(1) })
		mux := http.NewServeMux()
		api := &handlers.API{Store: s, DB: s, Policy: handoff.DefaultPolicy(), Token: token, Now: func() time.Time { return now },
			Metrics: m}
		api.Register(mux)
		mux.Handle("GET /metrics", m.Handler())
		srv := httptest.NewServer(handlers.Middleware(discardLogger(), mux, mux))
		t.Cleanup(srv.Close)

		source := strings.Repeat("a", 39) + "øresund-kampagne" // bytes 40-41 are "ø"
		body, _ := json.Marshal(map[string]any{"external_id": "dk-1", "source": source})
		got := post(t, srv, string(body))
		if got.status != http.StatusCreated {
			t.Fatalf("status %d, body %v; want 201", got.status, got.body)
		}
		if n := woken.Load(); n != 1 {
			t.Fatalf("outbox woken %d times, want 1", n)
		}
		resp, err := http.Get(srv.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		scraped, _ := io.ReadAll(resp.Body)
		want := `handoff_leads_received_total{source="` + strings.Repeat("a", 39) + `",stage="sql"} 1`
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(scraped), want) {
			t.Fatalf("metrics (%d) lack %s:\n%s", resp.StatusCode, want, scraped)
		}
	})
}

// A named write token's name is the actor of what it changed; a read token
// cannot write.
func TestNamedTokens(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		mux := http.NewServeMux()
		(&handlers.API{Store: s, DB: s, Policy: handoff.DefaultPolicy(), Now: func() time.Time { return now },
			Tokens: []handlers.Token{{Name: "marketing", Secret: "m-secret-1", Scope: handlers.ScopeWrite}, {Name: "bi", Secret: "b-secret-1", Scope: handlers.ScopeRead}}}).Register(mux)
		srv := httptest.NewServer(handlers.Middleware(discardLogger(), mux, mux))
		defer srv.Close()
		if a := do(t, srv, "POST", "/api/leads", "application/json", "Bearer b-secret-1", `{"external_id":"n1"}`); a.status != 403 {
			t.Fatalf("read token wrote: %d %v", a.status, a.body)
		}
		if a := do(t, srv, "DELETE", "/api/leads/n1", "", "Bearer b-secret-1", ""); a.status != 403 {
			t.Fatalf("read token erased: %d", a.status)
		}
		if a := do(t, srv, "POST", "/api/leads", "application/json", "Bearer m-secret-1", `{"external_id":"n1","stage":"sql"}`); a.status != 201 {
			t.Fatalf("write token: %d %v", a.status, a.body)
		}
		a := do(t, srv, "GET", "/api/leads/n1", "", "Bearer b-secret-1", "")
		events, _ := a.body["events"].([]any)
		if a.status != 200 || len(events) == 0 || events[len(events)-1].(map[string]any)["actor"] != "marketing" {
			t.Fatalf("read token GET: %d %v", a.status, a.body)
		}
		if a := do(t, srv, "DELETE", "/api/leads/n1", "", "Bearer m-secret-1", ""); a.status != 204 {
			t.Fatalf("write token erase: %d", a.status)
		}
		l, _ := s.Lead(context.Background(), int64(a.body["id"].(float64)))
		events2, _ := s.Events(context.Background(), l.ID)
		if last := events2[len(events2)-1]; last.Kind != handoff.EventErased || last.Actor != "marketing" {
			t.Fatalf("erase recorded as %+v, want by marketing", last)
		}
	})
}

// POST /api/leads answers the lead on one line (intake's answers are read
// by machines, at volume); GET keeps the indented answer people read.
func TestPostLeadAnswersOneLine(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		srv := newServer(t, s)
		for _, tc := range []struct{ method, path, body string }{
			{"POST", "/api/leads", `{"external_id":"one-line","company":"Acme","stage":"sql"}`},
			{"POST", "/api/leads", `{"external_id":"one-line","company":"Acme","stage":"sql"}`}, // unchanged: 200
		} {
			req, err := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode/100 != 2 {
				t.Fatalf("%s %s = %d %s", tc.method, tc.path, resp.StatusCode, raw)
			}
			if lines := strings.Count(string(raw), "\n"); lines != 1 || !json.Valid(raw) {
				t.Errorf("%s %s answered %d lines, want one JSON line: %s", tc.method, tc.path, lines, raw)
			}
		}
	})
}

// TestPostLeadAttributesAddUp checks that updates, each within the limit,
// cannot take a lead past handoff.MaxAttributes: the update that would is
// a 400 naming attributes and changes nothing, while values of attributes
// the lead has are still taken.
func TestPostLeadAttributesAddUp(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		srv := newServer(t, s)
		attrs := func(prefix string, n int) string {
			var b strings.Builder
			for i := range n {
				fmt.Fprintf(&b, `,"%s_%d":"v"`, prefix, i)
			}
			return b.String()
		}
		if got := post(t, srv, `{"external_id":"grow","name":"Ann"`+attrs("a", 40)+`}`); got.status != http.StatusCreated {
			t.Fatalf("first: %d %v", got.status, got.body)
		}
		got := post(t, srv, `{"external_id":"grow","name":"Bo"`+attrs("b", 11)+`}`)
		if fields, _ := got.body["fields"].(map[string]any); got.status != http.StatusBadRequest || fields["attributes"] == nil {
			t.Fatalf("past the limit: %d %v; want 400 naming attributes", got.status, got.body)
		}
		l, err := s.LeadByExternalID(t.Context(), "grow")
		if err != nil || len(l.Attributes) != 40 || l.Name != "Ann" {
			t.Fatalf("after a refused update: %d attributes, name %q, %v", len(l.Attributes), l.Name, err)
		}
		if got := post(t, srv, `{"external_id":"grow","name":"Bo"`+attrs("b", 10)+`}`); got.status != http.StatusOK {
			t.Fatalf("up to the limit: %d %v", got.status, got.body)
		}
		if got := post(t, srv, `{"external_id":"grow","a_0":"w","b_9":"x"}`); got.status != http.StatusOK {
			t.Fatalf("values of its own attributes: %d %v", got.status, got.body)
		}
	})
}
