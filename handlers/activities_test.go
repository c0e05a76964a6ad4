package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/handlers"
	"github.com/handoff/handoff/storage"
	"github.com/handoff/handoff/storage/storagetest"
)

// scoringPolicy is the agreement of issue 14: mql at 40, sql at 70.
func scoringPolicy() handoff.Policy {
	p := handoff.DefaultPolicy()
	fifty := 50.0
	p.Scoring = &handoff.Scoring{MQLAt: 40, SQLAt: 70,
		Explicit: []handoff.ExplicitRule{
			{Field: "title", Matches: regexp.MustCompile(`(?i)\b(it-chef|cto|cio|it manager)\b`), Points: 30},
			{Field: "company_size", AtLeast: &fifty, Points: 15},
		},
		Implicit: []handoff.ImplicitRule{
			{Activity: "page_view", URLMatches: regexp.MustCompile(`/pricing`), Points: 20, Max: 40},
			{Activity: "demo_request", Points: 40},
		},
		Decay: 30 * 24 * time.Hour,
	}
	return p
}

// scoringServer serves the API under p with a clock the test moves.
func scoringServer(t testing.TB, s *storage.Store, p handoff.Policy, clock *time.Time) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	api := &handlers.API{Store: s, DB: s, Policy: p, Token: token, Now: func() time.Time { return *clock }}
	api.Register(mux)
	srv := httptest.NewServer(handlers.Middleware(discardLogger(), mux, mux))
	t.Cleanup(srv.Close)
	return srv
}

func postActivities(t *testing.T, srv *httptest.Server, ext, body string) answer {
	return do(t, srv, "POST", "/api/leads/"+ext+"/activities", "application/json", "Bearer "+token, body)
}

func leadOf(t *testing.T, a answer) map[string]any {
	t.Helper()
	l, ok := a.body["lead"].(map[string]any)
	if !ok {
		t.Fatalf("answer has no lead: %v", a.body)
	}
	return l
}

func TestActivitiesScoreALeadIntoAnSQL(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		clock := now
		srv := scoringServer(t, s, scoringPolicy(), &clock)
		ctx := context.Background()

		// A CTO whose sender scores 95: the agreement's score is 30, a lead.
		a := post(t, srv, `{"external_id":"sc-1","name":"Ann","company":"Berg ApS","title":"CTO","score":95}`)
		if a.status != http.StatusCreated || a.body["stage"] != "lead" || a.body["score"] != 30.0 {
			t.Fatalf("new lead = %d %v", a.status, a.body)
		}
		if attrs, _ := a.body["attributes"].(map[string]any); attrs["source_score"] != 95.0 {
			t.Errorf("source_score = %v, want 95", a.body["attributes"])
		}
		// One pricing view: 50, an MQL (actor scoring).
		a = postActivities(t, srv, "sc-1", `{"id":"pv-1","type":"page_view","url":"https://berg.dk/pricing","occurred_at":"2026-11-20T08:00:00Z"}`)
		if l := leadOf(t, a); a.status != http.StatusOK || l["stage"] != "mql" || l["score"] != 50.0 || a.body["added"] != 1.0 {
			t.Fatalf("after one view = %d %v", a.status, a.body)
		}
		// The same view again (same id) adds nothing; a second view (in
		// an array) makes 70: an SQL, announced in chat.
		a = postActivities(t, srv, "sc-1", `[{"id":"pv-1","type":"page_view","url":"https://berg.dk/pricing","occurred_at":"2026-11-20T08:00:00Z"},
			{"id":"pv-2","type":"page_view","url":"https://berg.dk/pricing/enterprise","occurred_at":"2026-11-20T08:30:00Z"}]`)
		l := leadOf(t, a)
		if a.status != http.StatusOK || a.body["added"] != 1.0 || l["stage"] != "sql" || l["score"] != 70.0 || l["sql_at"] == nil {
			t.Fatalf("after the second view = %d %v", a.status, a.body)
		}
		var scoringMoves []string
		for _, e := range l["events"].([]any) {
			ev := e.(map[string]any)
			if ev["actor"] == handoff.ActorScoring {
				d, _ := ev["details"].(map[string]any)
				scoringMoves = append(scoringMoves, fmt.Sprintf("%s@%v", ev["stage"], d["score"]))
			}
		}
		if got := strings.Join(scoringMoves, " "); got != "mql@50 sql@70" {
			t.Errorf("scoring moves = %q, want mql@50 sql@70", got)
		}
		lead, err := s.LeadByExternalID(ctx, "sc-1")
		if err != nil {
			t.Fatal(err)
		}
		msgs, err := s.TakeOutbox(ctx, clock.Add(time.Second), 50, time.Minute, "test")
		if err != nil {
			t.Fatal(err)
		}
		announced := 0
		for _, m := range msgs {
			if m.Kind == handoff.OutboxAnnounceLead && m.LeadID == lead.ID {
				announced++
			}
		}
		if announced != 1 {
			t.Errorf("announcements = %d, want 1 (outbox %+v)", announced, msgs)
		}

		// GET explains the score rule by rule.
		g := do(t, srv, "GET", "/api/leads/sc-1", "", "Bearer "+token, "")
		ex, _ := g.body["score_explained"].(map[string]any)
		if ex == nil || ex["score"] != 70.0 {
			t.Fatalf("score_explained = %v", g.body["score_explained"])
		}
		var lines []string
		for _, r := range ex["rules"].([]any) {
			rule := r.(map[string]any)
			lines = append(lines, fmt.Sprintf("%v=%v", strings.Fields(rule["rule"].(string))[0], rule["points"]))
		}
		if got := strings.Join(lines, " "); got != "title=30 company_size=0 page_view=40 demo_request=0" {
			t.Errorf("rules = %q", got)
		}

		// 31 days later the views have decayed: the score falls to 30,
		// but the lead stays an SQL.
		clock = now.Add(31 * 24 * time.Hour)
		a = postActivities(t, srv, "sc-1", `{"type":"email_open","occurred_at":"`+clock.Add(-time.Hour).Format(time.RFC3339)+`"}`)
		if l := leadOf(t, a); a.status != http.StatusOK || l["stage"] != "sql" || l["score"] != 30.0 {
			t.Errorf("after decay = %d %v", a.status, a.body)
		}
		// A stage the sender posts still stands.
		if a := post(t, srv, `{"external_id":"sc-2","title":"Intern","stage":"sql"}`); a.status != http.StatusCreated || a.body["stage"] != "sql" {
			t.Errorf("posted sql = %d %v", a.status, a.body)
		}
	})
}

func TestActivitiesBadInput(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, s *storage.Store) {
		clock := now
		srv := scoringServer(t, s, scoringPolicy(), &clock)
		if a := post(t, srv, `{"external_id":"b-1","title":"CTO"}`); a.status != http.StatusCreated {
			t.Fatalf("lead = %d", a.status)
		}
		for _, tc := range []struct {
			name, body string
			status     int
			fields     []string
		}{
			{"no type", `{"url":"/pricing"}`, 400, []string{"type"}},
			{"type with spaces", `{"type":"page view"}`, 400, []string{"type"}},
			{"future", `{"type":"page_view","occurred_at":"2026-11-20T10:00:00Z"}`, 400, []string{"occurred_at"}},
			{"ancient", `{"type":"page_view","occurred_at":"1999-12-31T00:00:00Z"}`, 400, []string{"occurred_at"}},
			{"not a time", `{"type":"page_view","occurred_at":"yesterday"}`, 400, []string{"occurred_at"}},
			{"long url", `{"type":"page_view","url":"` + strings.Repeat("u", 2001) + `"}`, 400, []string{"url"}},
			{"control character", `{"type":"page_view","url":"/a\u0000b"}`, 400, []string{"url"}},
			{"unknown field", `{"type":"page_view","colour":"red"}`, 400, []string{"colour"}},
			{"array, two bad", `[{"type":"page_view"},{"type":""},{"type":"x","id":7}]`, 400, []string{"[1].type", "[2].id"}},
			{"same id twice", `[{"type":"a","id":"x"},{"type":"b","id":"x"}]`, 400, []string{"[1].id"}},
			{"empty array", `[]`, 400, []string{"body"}},
			{"duplicate key", `[{"type":"page_view"},{"type":"page_view","url":"/a","url":"/b"}]`, 400, []string{"[1].url"}},
			{"invalid UTF-8", "[{\"type\":\"page_view\"},{\"type\":\"page_view\",\"url\":\"/pr\xe6cing\"}]", 400, []string{"[1].url"}},
			{"a number", `42`, 400, []string{"body"}},
		} {
			a := postActivities(t, srv, "b-1", tc.body)
			if a.status != tc.status {
				t.Errorf("%s: status %d, want %d (%v)", tc.name, a.status, tc.status, a.body)
				continue
			}
			fields, _ := a.body["fields"].(map[string]any)
			for _, f := range tc.fields {
				if fields[f] == nil {
					t.Errorf("%s: fields %v do not name %q", tc.name, fields, f)
				}
			}
		}
		if a := postActivities(t, srv, "nobody", `{"type":"page_view"}`); a.status != http.StatusNotFound {
			t.Errorf("unknown lead: %d", a.status)
		}
		// Nothing was written by the rejected requests.
		acts, err := s.Activities(context.Background(), 1, nil, clock)
		if err != nil {
			t.Fatal(err)
		}
		if len(acts) != 0 {
			t.Errorf("activities after bad input = %+v", acts)
		}
	})
}
