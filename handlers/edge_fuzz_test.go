package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/handoff/handoff/handlers"
	"github.com/handoff/handoff/internal/fixtures"
	"github.com/handoff/handoff/storage/storagetest"
)

// maxErrorAnswer bounds a 4xx answer of the fuzz targets below: a refusal
// names what is wrong without echoing the request back.
const maxErrorAnswer = 8 << 10

// checkAnswer fails t unless the answer to sent is a 200 to a body of
// valid UTF-8, or a refusal (then it says true): a 4xx with a bounded JSON
// error that names a field when what was sent was a JSON object.
func checkAnswer(t *testing.T, status int, raw []byte, sent []byte) bool {
	t.Helper()
	switch {
	case status == http.StatusOK:
		if !utf8.Valid(sent) {
			t.Fatalf("accepted a body that is not UTF-8: %q", sent)
		}
		return false
	case status < 400 || status >= 500:
		t.Fatalf("status %d for %q: %.300s", status, sent, raw)
	}
	var ans struct {
		Error  string
		Fields map[string]string
	}
	if err := json.Unmarshal(raw, &ans); err != nil || ans.Error == "" {
		t.Fatalf("%d without a JSON error: %.300s", status, raw)
	}
	if len(raw) > maxErrorAnswer {
		t.Fatalf("%d answer of %d bytes for a body of %d: %.300s…", status, len(raw), len(sent), raw)
	}
	var obj map[string]any
	if status == http.StatusBadRequest && json.Unmarshal(sent, &obj) == nil && obj != nil && len(ans.Fields) == 0 {
		t.Fatalf("400 for a JSON object without naming a field: %s", raw)
	}
	return true
}

// FuzzPostActivities posts arbitrary bodies to POST
// /api/leads/{external_id}/activities of a known lead on a real store with
// scoring: 200 (the activities are stored) or a bounded 4xx naming the
// field, after which the lead holds the activities it held before.
func FuzzPostActivities(f *testing.F) {
	for _, seed := range []string{
		`{"type":"page_view","url":"https://acme.dk/pricing","occurred_at":"2026-11-20T08:00:00Z","id":"pv-981"}`,
		`[{"type":"page_view","url":"/pricing"},{"type":"demo_request","id":"d-1"}]`,
		`{"type":"demo_request","id":"d-1"}`,
		`{"type":"page view"}`,
		`{"type":"page_view","occurred_at":"1999-12-31T00:00:00Z"}`,
		`{"type":"page_view","url":"/a\u0000b","colour":"red"}`,
		`[{"type":"a","id":"x"},{"type":"b","id":"x"}]`,
		`[{"type":"page_view"},{"type":"page_view","url":"/a","url":"/b"}]`,
		"[{\"type\":\"page_view\",\"url\":\"/pr\xe6cing\"}]",
		`[{"type":"page_view","\u202eurl":"/x","x":1,"y":2,"z":3}]`,
		`[]`, `42`, `null`, ``,
		strings.Repeat("[", 200) + strings.Repeat("]", 200),
	} {
		f.Add([]byte(seed))
	}
	s := storagetest.Open(f, storagetest.FuzzDialect())
	clock := now
	srv := scoringServer(f, s, scoringPolicy(), &clock)
	ctx := context.Background()
	if resp, raw := rawCall(f, "POST", srv.URL+"/api/leads", token, `{"external_id":"fz-1","title":"CTO"}`); resp.StatusCode != http.StatusCreated {
		f.Fatalf("lead: %d %s", resp.StatusCode, raw)
	}
	l, err := s.LeadByExternalID(ctx, "fz-1")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		before, err := s.Activities(ctx, l.ID, nil, clock)
		if err != nil {
			t.Fatal(err)
		}
		resp, raw := rawCall(t, "POST", srv.URL+"/api/leads/fz-1/activities", token, string(body))
		status := resp.StatusCode
		after, err := s.Activities(ctx, l.ID, nil, clock)
		if err != nil {
			t.Fatal(err)
		}
		if checkAnswer(t, status, raw, body) && len(after) != len(before) {
			t.Fatalf("%d, but the lead's activities went from %d to %d: %s", status, len(before), len(after), raw)
		}
	})
}

// FuzzPostTraffic posts arbitrary bodies to POST /api/traffic on a real
// store: 200 with the day, or a bounded 4xx naming the field.
func FuzzPostTraffic(f *testing.F) {
	for _, seed := range []string{
		`{"date":"2026-11-19","visits":1200}`,
		`{"date":"2026-11-19","visits":1200,"source":"organic"}`,
		`{"date":"2026-11-19","visits":"1200"}`,
		`{"date":"19/11/2026","visits":-1,"colour":"red"}`,
		`{"date":"2026-11-19","visits":1e300,"source":"a\u0000b"}`,
		`{"date":"2026-11-19","visits":1,"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11,"l":12}`,
		`{"date":"2026-11-19","date":"2026-11-20","visits":1}`,
		`[]`, `null`, ``,
	} {
		f.Add([]byte(seed))
	}
	s := storagetest.Open(f, storagetest.FuzzDialect())
	srv := newFunnelServer(f, s)
	f.Fuzz(func(t *testing.T, body []byte) {
		resp, raw := rawCall(t, "POST", srv.URL+"/api/traffic", funnelToken, string(body))
		status := resp.StatusCode
		checkAnswer(t, status, raw, body)
	})
}

// FuzzFunnelQuery sends arbitrary queries to GET /api/funnel and GET
// /api/routing on a real store: 200, or a bounded 400 naming the
// parameter, never a 5xx.
func FuzzFunnelQuery(f *testing.F) {
	for _, seed := range []string{
		"period=2026-11", "period=2026-W47&format=csv", "period=2026-Q4&source=organic&owner=rep%40acme.dk",
		"period=last-month", "period=2026-11-01..2026-11-30", "period=2026-02-30", "period=9999-12",
		"format=xml&periode=month", "source=%00", "owner=%FF%FE", "source=%3Dcmd%7C'%20%2FC%20calc'!A0&format=csv",
		"period=2026-11&period=2026-12", "a;b=c", "%zz", "owner=%E2%80%AEevil&format=csv",
	} {
		f.Add(seed)
	}
	s := storagetest.Open(f, storagetest.FuzzDialect())
	seedFunnel(f, s)
	mux := http.NewServeMux()
	(&handlers.FunnelAPI{Store: s, Policy: fixtures.ReportPolicy(f), Token: funnelToken, Now: func() time.Time { return funnelClock }, Logger: discardLogger()}).Register(mux)
	(&handlers.RoutingAPI{Store: s, Policy: fixtures.ReportPolicy(f), Guard: &handlers.Guard{Tokens: handlers.Tokens(funnelToken, nil)}, Now: func() time.Time { return funnelClock }, Logger: discardLogger()}).Register(mux)
	srv := httptest.NewServer(handlers.Router(mux))
	f.Cleanup(srv.Close)
	f.Fuzz(func(t *testing.T, query string) {
		if strings.IndexFunc(query, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0 {
			// Not a request line (a space ends the target): net/http
			// answers its own 400 before any handler runs.
			t.Skip()
		}
		for _, path := range []string{"/api/funnel", "/api/routing"} {
			u := srv.URL + path + "?" + query
			if _, err := url.Parse(u); err != nil {
				t.Skip()
			}
			resp, raw := rawCall(t, "GET", u, funnelToken, "")
			status := resp.StatusCode
			checkAnswer(t, status, raw, nil)
		}
	})
}
