package handlers_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/bot/report"
	"github.com/handoff/handoff/handlers"
	"github.com/handoff/handoff/internal/fixtures"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

const funnelToken = "funnel-token"

// funnelClock is Friday 20 November 2026, 10:00 in Copenhagen.
var funnelClock = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

func newFunnelServer(t testing.TB, s *storage.Store) *httptest.Server {
	t.Helper()
	api := &handlers.FunnelAPI{Store: s, Policy: fixtures.ReportPolicy(t), Token: funnelToken, Now: func() time.Time { return funnelClock },
		Logger: discardLogger()}
	mux := http.NewServeMux()
	api.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// funnelCall sends a request with the bearer token (unless auth is false)
// and decodes the JSON answer.
func funnelCall(t *testing.T, srv *httptest.Server, method, path, body string, auth bool) (int, map[string]any) {
	t.Helper()
	resp, raw := funnelRaw(t, srv, method, path, body, auth)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s %s: answer is not a JSON object: %s", method, path, raw)
	}
	return resp.StatusCode, m
}

// funnelRaw sends a request as funnelCall does and returns the answer as is.
func funnelRaw(t *testing.T, srv *httptest.Server, method, path, body string, auth bool) (*http.Response, []byte) {
	t.Helper()
	bearer := ""
	if auth {
		bearer = funnelToken
	}
	return rawCall(t, method, srv.URL+path, bearer, body)
}

// rawCall sends a request to u with the bearer token (none when "") and a
// JSON body (none when ""), and returns the answer as is.
func rawCall(t testing.TB, method, u, bearer, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp, raw
}

func seedFunnel(t testing.TB, s *storage.Store) {
	t.Helper()
	for _, raw := range []map[string]any{
		{"external_id": "f-1", "source": "organic", "occurred_at": "2026-11-02T09:00:00Z"},                  // SQL in November
		{"external_id": "f-2", "source": "paid", "stage": "mql", "occurred_at": "2026-11-03T09:00:00Z"},     // MQL in November
		{"external_id": "f-3", "source": "paid", "stage": "lead", "occurred_at": "2026-10-31T22:59:00Z"},    // October, local
		{"external_id": "f-4", "stage": "won", "amount": 40000.0, "occurred_at": "2026-11-10T12:00:00Z"},    // won in November
		{"external_id": "f-5", "source": "organic", "stage": "lead", "occurred_at": "2026-11-30T22:59:59Z"}, // last second of November
	} {
		at, _ := time.Parse(time.RFC3339, raw["occurred_at"].(string))
		in, err := handoff.ParseLeadInput(raw, at)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SaveLead(context.Background(), in, handoff.DefaultPolicy(), funnelClock, handoff.ActorAPI); err != nil {
			t.Fatal(err)
		}
	}
}

func TestFunnelAPI(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		seedFunnel(t, s)
		srv := newFunnelServer(t, s)

		t.Run("Month", func(t *testing.T) {
			status, body := funnelCall(t, srv, "GET", "/api/funnel?period=2026-11", "", true)
			if status != http.StatusOK {
				t.Fatalf("status %d: %v", status, body)
			}
			// f-1, f-2, f-4 and f-5 entered lead in November; f-1 and f-4 became SQLs.
			for key, want := range map[string]float64{"leads": 4, "mqls": 3, "sqls": 2, "won": 1, "revenue": 40000, "lead_to_mql": 0.75} {
				if body[key] != want {
					t.Errorf("%s = %v, want %v", key, body[key], want)
				}
			}
			period := body["period"].(map[string]any)
			if period["label"] != "2026-11" || period["start"] != "2026-11-01T00:00:00+01:00" || period["end"] != "2026-12-01T00:00:00+01:00" {
				t.Errorf("period = %v", period)
			}
			if body["opportunity_to_won"] != 1.0 || body["sla"] == nil || body["targets"] == nil {
				t.Errorf("body = %v", body)
			}
			if _, ok := body["visits"]; ok {
				t.Errorf("visits present without traffic: %v", body["visits"])
			}
		})

		t.Run("CSV", func(t *testing.T) {
			resp, raw := funnelRaw(t, srv, "GET", "/api/funnel?period=2026-11&source=organic&format=csv", "", true)
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" ||
				resp.Header.Get("Content-Disposition") != `attachment; filename="funnel-2026-11.csv"` {
				t.Fatalf("status %d, headers %v: %s", resp.StatusCode, resp.Header, raw)
			}
			rows, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
			if err != nil || len(rows) != 2 || !slices.Equal(rows[0], report.CSVHeader) {
				t.Fatalf("csv = %q (%v), want the CLI's header and one row", raw, err)
			}
			got := map[string]string{}
			for i, h := range rows[0] {
				got[h] = rows[1][i]
			}
			// The JSON answer for the same query, cell by cell.
			_, body := funnelCall(t, srv, "GET", "/api/funnel?period=2026-11&source=organic", "", true)
			for _, key := range []string{"leads", "mqls", "sqls", "won"} {
				if want := fmt.Sprint(body[key]); got[key] != want {
					t.Errorf("csv %s = %q, JSON says %s", key, got[key], want)
				}
			}
			if got["source"] != "organic" || got["leads"] != "2" {
				t.Errorf("csv row = %v", got)
			}
		})

		t.Run("DefaultsToThisMonth", func(t *testing.T) {
			status, body := funnelCall(t, srv, "GET", "/api/funnel", "", true)
			if status != http.StatusOK || body["period"].(map[string]any)["label"] != "2026-11" || body["leads"] != 4.0 {
				t.Fatalf("status %d: %v", status, body)
			}
		})

		t.Run("Filters", func(t *testing.T) {
			status, body := funnelCall(t, srv, "GET", "/api/funnel?period=month&source=organic", "", true)
			if status != http.StatusOK || body["leads"] != 2.0 || body["source"] != "organic" {
				t.Fatalf("status %d: %v", status, body)
			}
			status, body = funnelCall(t, srv, "GET", "/api/funnel?period=month&owner=nobody%40example.com", "", true)
			if status != http.StatusOK || body["leads"] != 0.0 || body["lead_to_mql"] != nil {
				t.Fatalf("status %d: %v", status, body)
			}
		})

		t.Run("EmptyYearHasNulls", func(t *testing.T) {
			status, body := funnelCall(t, srv, "GET", "/api/funnel?period=2025", "", true)
			if status != http.StatusOK || body["leads"] != 0.0 || body["sql_to_won"] != nil || body["avg_deal_size"] != nil {
				t.Fatalf("status %d: %v", status, body)
			}
		})

		t.Run("BadInput", func(t *testing.T) {
			for _, tc := range []struct {
				query, field string
			}{
				{"period=2026-13", "period"},
				{"period=next-month", "period"},
				{"periode=month", "periode"},
				{"period=month&period=week", "period"},
				{"source=" + strings.Repeat("s", 501), "source"},
				{"format=xlsx", "format"},
				{"format=csv&format=json", "format"},
				{"period=2025;format=csv", "query"},
				{"period=2025&source=100%", "query"},
			} {
				status, body := funnelCall(t, srv, "GET", "/api/funnel?"+tc.query, "", true)
				fields, _ := body["fields"].(map[string]any)
				if status != http.StatusBadRequest || fields[tc.field] == nil {
					t.Errorf("?%s: status %d, body %v; want 400 naming %s", tc.query, status, body, tc.field)
				}
			}
			_, body := funnelCall(t, srv, "GET", "/api/funnel?period=fortnight", "", true)
			if msg, _ := body["error"].(string); !strings.Contains(msg, "last-month") || !strings.Contains(msg, "2026-W47") {
				t.Errorf("error %q does not list the accepted periods", msg)
			}
		})

		t.Run("NeedsToken", func(t *testing.T) {
			if status, _ := funnelCall(t, srv, "GET", "/api/funnel", "", false); status != http.StatusUnauthorized {
				t.Errorf("funnel without token: %d, want 401", status)
			}
			if status, _ := funnelCall(t, srv, "POST", "/api/traffic", `{"date":"2026-11-20","visits":1}`, false); status != http.StatusUnauthorized {
				t.Errorf("traffic without token: %d, want 401", status)
			}
		})

		t.Run("Traffic", func(t *testing.T) {
			body := `{"date": "2026-11-20", "visits": 1830, "source": "organic"}`
			for range 2 { // idempotent
				status, got := funnelCall(t, srv, "POST", "/api/traffic", body, true)
				if status != http.StatusOK || got["visits"] != 1830.0 || got["date"] != "2026-11-20" || got["source"] != "organic" {
					t.Fatalf("status %d: %v", status, got)
				}
			}
			if status, _ := funnelCall(t, srv, "POST", "/api/traffic", `{"date": "2026-11-21", "visits": 170}`, true); status != http.StatusOK {
				t.Fatalf("status %d", status)
			}
			_, f := funnelCall(t, srv, "GET", "/api/funnel?period=month", "", true)
			if f["visits"] != 2000.0 || f["visit_to_lead"] != 0.002 {
				t.Errorf("visits %v visit_to_lead %v, want 2000 and 0.002", f["visits"], f["visit_to_lead"])
			}
			_, f = funnelCall(t, srv, "GET", "/api/funnel?period=month&source=organic", "", true)
			if f["visits"] != 1830.0 {
				t.Errorf("organic visits %v, want 1830", f["visits"])
			}
		})

		t.Run("BadTraffic", func(t *testing.T) {
			for body, field := range map[string]string{
				`{"visits": 10}`:                                   "date",
				`{"date": "2026-11-31", "visits": 10}`:             "date",
				`{"date": "2026-11-20", "visits": -3}`:             "visits",
				`{"date": "2026-11-20", "visits": "many"}`:         "visits",
				`{"date": "2026-11-20", "visits": 1, "source": 5}`: "source",
			} {
				status, got := funnelCall(t, srv, "POST", "/api/traffic", body, true)
				fields, _ := got["fields"].(map[string]any)
				if status != http.StatusBadRequest || fields[field] == nil {
					t.Errorf("%s: status %d, body %v; want 400 naming %s", body, status, got, field)
				}
			}
			status, _ := funnelCall(t, srv, "POST", "/api/traffic", `[1, 2]`, true)
			if status != http.StatusBadRequest {
				t.Errorf("array body: status %d, want 400", status)
			}
		})
	})
}

// A query with a great many bad parameters, as long as the server takes
// one, is answered a 400 of a few KiB naming each parameter it names once
// (the first 10 unknown ones by name, in fields; the message counts them)
// and cutting a long value it quotes; /api/routing alike. The answer used
// to list every parameter twice, in the message and the fields, up to
// about a megabyte for a 32 KiB query.
func TestBadQueryAnswerIsBounded(t *testing.T) {
	params := make([]string, 3000)
	for i := range params {
		params[i] = fmt.Sprintf("p%04d=", i)
	}
	many := strings.Join(params, "&")
	mux := http.NewServeMux()
	(&handlers.FunnelAPI{Policy: handoff.DefaultPolicy(), Token: funnelToken, Now: func() time.Time { return funnelClock }, Logger: discardLogger()}).Register(mux)
	(&handlers.RoutingAPI{Policy: handoff.DefaultPolicy(), Guard: &handlers.Guard{Tokens: handlers.Tokens(funnelToken, nil)}, Logger: discardLogger()}).Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	for _, tc := range []struct {
		name, path string
		fields     []string // named in fields
		message    string   // in the message
	}{
		{"Funnel", "/api/funnel?" + many, []string{"p0000", "p0001", "p0002", "p0003", "p0004", "p0005", "p0006", "p0007", "p0008", "p0009"},
			"invalid funnel query: 3000 unknown parameters, the first 10 by name named in fields; use period, source, owner or format"},
		{"FunnelOne", "/api/funnel?periode=month", []string{"periode"},
			"invalid funnel query: 1 unknown parameter, named in fields; use period, source, owner or format"},
		{"FunnelLongValue", "/api/funnel?format=" + strings.Repeat("x", 20000) + "&period=" + strings.Repeat("y", 10000), []string{"format", "period"},
			`format: unknown format "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…"; use json or csv; period: unknown period "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy…"; use week`},
		{"Routing", "/api/routing?" + many, []string{"p0000", "p0001", "p0002", "p0003", "p0004", "p0005", "p0006", "p0007", "p0008", "p0009"},
			"invalid routing query: 3000 unknown parameters, the first 10 by name named in fields; GET /api/routing takes none"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, raw := funnelRaw(t, srv, "GET", tc.path, "", true)
			var body struct {
				Error  string
				Fields map[string]string
			}
			if err := json.Unmarshal(raw, &body); err != nil || resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("status %d, err %v: %.300s", resp.StatusCode, err, raw)
			}
			if len(raw) > 4<<10 {
				t.Errorf("the answer is %d bytes, want at most 4 KiB: %.300s…", len(raw), raw)
			}
			if got := slices.Sorted(maps.Keys(body.Fields)); !slices.Equal(got, tc.fields) {
				t.Errorf("fields name %d parameters (%.200v), want %v", len(got), got, tc.fields)
			}
			for _, f := range tc.fields {
				if !strings.HasPrefix(f, "p0") {
					continue // a known parameter, named with its reason in the message too
				}
				if n := strings.Count(string(raw), `"`+f+`"`) + strings.Count(body.Error, f+":"); n != 1 {
					t.Errorf("%s is listed %d times, want once: %.500s", f, n, raw)
				}
			}
			if !strings.Contains(body.Error, tc.message) {
				t.Errorf("error %.600q does not say %q", body.Error, tc.message)
			}
		})
	}
}
