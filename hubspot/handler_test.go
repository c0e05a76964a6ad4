package hubspot_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/csvimport"
	"github.com/handoff/handoff/hubspot"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

const secret = "3b0a5e3c-1d5f-4b6e-9c2d-7f8e9a0b1c2d"

var now = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

// classicContact is the contact record HubSpot's "Send a webhook" action
// sends when no properties are chosen (the v1 contact shape).
const classicContact = `{
  "vid": 101, "canonical-vid": 101, "merged-vids": [], "portal-id": 62515, "is-contact": true,
  "properties": {
    "firstname": {"value": "Ann", "versions": [{"value": "Ann", "source-type": "FORM", "source-id": null, "source-label": null, "timestamp": 1763550000000, "selected": false}]},
    "lastname": {"value": "Berg", "versions": [{"value": "Berg", "source-type": "FORM", "timestamp": 1763550000000, "selected": false}]},
    "email": {"value": "ann@berg.dk", "versions": [{"value": "ann@berg.dk", "source-type": "FORM", "timestamp": 1763550000000, "selected": false}]},
    "company": {"value": "Berg ApS", "versions": []},
    "jobtitle": {"value": "IT-chef", "versions": []},
    "phone": {"value": "+45 12 34 56 78", "versions": []},
    "hs_analytics_source": {"value": "ORGANIC_SEARCH", "versions": []},
    "hubspotscore": {"value": "82", "versions": []},
    "lifecyclestage": {"value": "salesqualifiedlead", "versions": [{"value": "salesqualifiedlead", "source-type": "AUTOMATION_PLATFORM", "timestamp": 1763620000000, "selected": false}]},
    "hs_object_id": {"value": "101", "versions": []},
    "lastmodifieddate": {"value": "1763620000123", "versions": []}
  },
  "form-submissions": [], "list-memberships": [],
  "identity-profiles": [{"vid": 101, "saved-at-timestamp": 1763550000000, "deleted-changed-timestamp": 0,
    "identities": [{"type": "EMAIL", "value": "ann@berg.dk", "timestamp": 1763550000000, "is-primary": true}]}],
  "merge-audits": []
}`

// flatContact is the body of chosen properties ("Customize request body").
const flatContact = `{"hs_object_id": 202, "firstname": "Bo", "lastname": "Holm", "email": "bo@holm.dk",
  "company": "Holm A/S", "jobtitle": "CFO", "phone": "", "hs_analytics_source": "PAID_SEARCH",
  "hubspotscore": 40, "lifecyclestage": "marketingqualifiedlead"}`

type server struct {
	*httptest.Server
	saved atomic.Int64 // the store's OnQueued calls: chat work committed
}

func newServer(t testing.TB, s *storage.Store, publicURL string) *server {
	t.Helper()
	return newServerOf(t, s, hubspot.Handler{PublicURL: publicURL})
}

// newServerOf serves h over s, with the tests' secret, clock and policy.
func newServerOf(t testing.TB, s *storage.Store, h hubspot.Handler) *server {
	t.Helper()
	srv := &server{}
	s.OnQueued(func() { srv.saved.Add(1) })
	mux := http.NewServeMux()
	h.Secret, h.Store = secret, s
	if h.Policy.ClaimWithin == 0 { // none given
		h.Policy = handoff.DefaultPolicy()
	}
	if h.Now == nil {
		h.Now = func() time.Time { return now }
	}
	if h.Logger == nil {
		h.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	h.Register(mux)
	srv.Server = httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// send posts body signed as HubSpot signs it for the URI signedURI
// (srv.URL+path when empty), sent at sentAt.
func send(t *testing.T, srv *server, path, body, signedURI string, sentAt time.Time, key string) (int, map[string]any) {
	t.Helper()
	status, raw := sendRaw(t, srv, path, body, signedURI, sentAt, key)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("answer is not JSON: %v", err)
	}
	return status, m
}

// sendRaw is send, answering the body as it came.
func sendRaw(t *testing.T, srv *server, path, body, signedURI string, sentAt time.Time, key string) (int, []byte) {
	t.Helper()
	if signedURI == "" {
		signedURI = srv.URL + path
	}
	ts := strconv.FormatInt(sentAt.UnixMilli(), 10)
	req, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-HubSpot-Request-Timestamp", ts)
	req.Header.Set("X-HubSpot-Signature-v3", hmacV3(key, "POST"+signedURI+body+ts))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, raw
}

func countLeads(t *testing.T, s *storage.Store, ids ...string) int {
	t.Helper()
	n := 0
	for _, id := range ids {
		if _, err := s.LeadByExternalID(context.Background(), id); err == nil {
			n++
		}
	}
	return n
}

func TestWebhookStoresBothShapes(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		srv := newServer(t, s, "")
		ctx := context.Background()
		status, ans := send(t, srv, "/hooks/hubspot", classicContact, "", now, secret)
		if status != 200 || ans["stored"] != float64(1) {
			t.Fatalf("classic: %d %v", status, ans)
		}
		l, err := s.LeadByExternalID(ctx, "101")
		if err != nil {
			t.Fatal(err)
		}
		want := handoff.Lead{Name: "Ann Berg", Email: "ann@berg.dk", Company: "Berg ApS", Title: "IT-chef", Phone: "+45 12 34 56 78",
			Source: "Organic Search", Score: 82, Stage: handoff.StageSQL}
		if l.Name != want.Name || l.Email != want.Email || l.Company != want.Company || l.Title != want.Title ||
			l.Phone != want.Phone || l.Source != want.Source || l.Score != want.Score || l.Stage != want.Stage || len(l.Attributes) != 0 {
			t.Fatalf("classic lead = %+v", l)
		}
		events, _ := s.Events(ctx, l.ID)
		if len(events) == 0 || events[len(events)-1].Actor != hubspot.Actor {
			t.Fatalf("events = %+v, want the last by %q", events, hubspot.Actor)
		}

		status, ans = send(t, srv, "/hooks/hubspot?workflow=42", flatContact, "", now, secret)
		if status != 200 {
			t.Fatalf("flat: %d %v", status, ans)
		}
		l, err = s.LeadByExternalID(ctx, "202")
		if err != nil || l.Name != "Bo Holm" || l.Stage != handoff.StageMQL || l.Score != 40 || l.Title != "CFO" || l.Phone != "" {
			t.Fatalf("flat lead = %+v, %v", l, err)
		}

		// An array of contacts, and a repeat of one already stored.
		arr := `[{"hs_object_id":"303","email":"cy@gamma.dk","lifecyclestage":"other"},` + flatContact + `]`
		status, ans = send(t, srv, "/hooks/hubspot", arr, "", now, secret)
		if status != 200 || ans["stored"] != float64(2) {
			t.Fatalf("array: %d %v", status, ans)
		}
		l, _ = s.LeadByExternalID(ctx, "303")
		if l == nil || l.Stage != handoff.StageRecycled || l.Reason == "" {
			t.Fatalf("other → recycled with a reason: %+v", l)
		}
	})
}

func TestWebhookRefusesAndStoresNothing(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		srv := newServer(t, s, "")
		tests := []struct {
			name       string
			body       string
			sentAt     time.Time
			key        string
			wantStatus int
			wantField  string
		}{
			{"wrong secret", classicContact, now, "not-the-secret", 401, ""},
			{"stale", classicContact, now.Add(-5*time.Minute - time.Second), secret, 401, ""},
			{"no id", `{"email":"x@y.dk","lifecyclestage":"lead"}`, now, secret, 400, "hs_object_id"},
			{"custom stage", `{"hs_object_id":"9","lifecyclestage":"1234567"}`, now, secret, 400, "lifecyclestage"},
			{"bad email", `{"hs_object_id":"9","email":"not-an-email"}`, now, secret, 400, "email"},
			{"bad score", `{"hs_object_id":"9","hubspotscore":"12.5"}`, now, secret, 400, "hubspotscore"},
			{"one bad in an array", `[{"hs_object_id":"31"},{"hs_object_id":"32","email":"nope"}]`, now, secret, 400, "[1].email"},
			{"not JSON", `vid=101`, now, secret, 400, "body"},
			{"empty array", `[]`, now, secret, 400, "body"},
			{"a string", `"x"`, now, secret, 400, "body"},
			{"a number", `42`, now, secret, 400, "body"},
			{"null", `null`, now, secret, 400, "body"},
			{"two objects", `{"hs_object_id":"9"} {}`, now, secret, 400, "body"},
			{"invalid UTF-8", "{\"hs_object_id\":\"9\",\"firstname\":\"An\xffn\"}", now, secret, 400, "firstname"},
			{"invalid UTF-8, classic", "{\"vid\":9,\"properties\":{\"lastname\":{\"value\":\"B\xe6rg\"}}}", now, secret, 400, "lastname"},
			{"duplicate property", `{"hs_object_id":"9","lifecyclestage":"customer","lifecyclestage":"lead"}`, now, secret, 400, "lifecyclestage"},
			{"invalid UTF-8 in an array", "[{\"hs_object_id\":\"33\"},{\"hs_object_id\":\"34\",\"company\":\"\xc3\"}]", now, secret, 400, "[1].company"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				status, ans := send(t, srv, "/hooks/hubspot", tt.body, "", tt.sentAt, tt.key)
				if status != tt.wantStatus {
					t.Fatalf("status %d, want %d: %v", status, tt.wantStatus, ans)
				}
				if tt.wantField != "" {
					fields, _ := ans["fields"].(map[string]any)
					if _, ok := fields[tt.wantField]; !ok {
						t.Fatalf("fields %v do not name %q", ans["fields"], tt.wantField)
					}
				}
			})
		}
		if n := countLeads(t, s, "101", "9", "10", "32", "34"); n != 0 || srv.saved.Load() != 2 {
			t.Fatalf("%d leads stored, %d wake-ups after refused requests", n, srv.saved.Load())
		}
		// One bad contact does not keep the good one of its array out:
		// HubSpot does not send a 4xx again.
		if n := countLeads(t, s, "31", "33"); n != 2 {
			t.Fatalf("%d of the 2 valid contacts of arrays with a bad one stored", n)
		}
	})
}

func TestWebhookBehindProxy(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		srv := newServer(t, s, "https://handoff.example.com")
		status, ans := send(t, srv, "/hooks/hubspot?src=wf", flatContact, "https://handoff.example.com/hooks/hubspot?src=wf", now, secret)
		if status != 200 {
			t.Fatalf("signed for the public URL: %d %v", status, ans)
		}
		if status, _ := send(t, srv, "/hooks/hubspot", flatContact, "", now, secret); status != 401 {
			t.Fatalf("signed for the internal URL: %d, want 401", status)
		}
	})
}

// A contact imported from a HubSpot CSV export and later sent by the
// workflow is one lead; a workflow that is behind chat keeps chat's stage.
func TestWebhookMeetsCSVImport(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		im := &csvimport.Importer{Store: s, Policy: handoff.DefaultPolicy(), Now: func() time.Time { return now }}
		csv := "Record ID,First Name,Last Name,Email,Lifecycle Stage\n101,Ann,Berg,ann@berg.dk,Marketing Qualified Lead\n"
		if sum, err := im.Import(ctx, strings.NewReader(csv), 0); err != nil || sum.Created != 1 {
			t.Fatalf("import: %+v, %v", sum, err)
		}
		srv := newServer(t, s, "")
		if status, ans := send(t, srv, "/hooks/hubspot", classicContact, "", now, secret); status != 200 || ans["leads"].([]any)[0].(map[string]any)["created"] != false {
			t.Fatalf("webhook after import: %d %v", status, ans)
		}
		l, err := s.LeadByExternalID(ctx, "101")
		if err != nil || l.Stage != handoff.StageSQL || l.Phone == "" {
			t.Fatalf("lead = %+v, %v", l, err)
		}
		// The lead is claimed in chat; HubSpot still says SQL and sends a new phone number.
		if _, err := s.SaveLead(ctx, handoff.LeadInput{ExternalID: "101", Stage: handoff.StageContacted}, handoff.DefaultPolicy(), now, "U1"); err != nil {
			t.Fatal(err)
		}
		body := strings.NewReplacer("+45 12 34 56 78", "+45 87 65 43 21", // a later change in HubSpot
			`"lastmodifieddate": {"value": "1763620000123"`, `"lastmodifieddate": {"value": "1763620900000"`).Replace(classicContact)
		status, ans := send(t, srv, "/hooks/hubspot", body, "", now, secret)
		if status != 200 {
			t.Fatalf("stale stage: %d %v", status, ans)
		}
		l, _ = s.LeadByExternalID(ctx, "101")
		if l.Stage != handoff.StageContacted || l.Phone != "+45 87 65 43 21" {
			t.Fatalf("after a lagging update: stage %s phone %q", l.Stage, l.Phone)
		}
	})
}
